import Engine
import Testing

/// GetActivityTask's long polls end at their own deadlines through one board-wide timer, and
/// all at once when the server shuts down; on a manual clock, so no test waits in real time.
@Suite(.timeLimit(.minutes(1))) struct ActivityPollTests {
    let activity = "arn:aws:states:us-east-1:000000000000:activity:polls"

    /// Polls of 30, 10 and then 5 seconds: each answers empty at its own deadline and not
    /// before, although the board's timer was first set for 30 and then moved earlier twice.
    @Test func eachPollEndsAtItsOwnDeadline() async throws {
        try await withEngine { engine, clock in
            async let long = engine.getActivityTask(activityArn: activity, workerName: "long", timeoutSeconds: 30)
            while await engine.activityWorkersWaiting(activity) < 1 { await Task.yield() }
            async let middle = engine.getActivityTask(activityArn: activity, workerName: "middle", timeoutSeconds: 10)
            while await engine.activityWorkersWaiting(activity) < 2 { await Task.yield() }
            async let short = engine.getActivityTask(activityArn: activity, workerName: "short", timeoutSeconds: 5)
            while await engine.activityWorkersWaiting(activity) < 3 { await Task.yield() }

            clock.advance(seconds: 4)
            await settle(engine, expecting: 3)
            clock.advance(seconds: 1)
            let shortAnswer = try await short
            #expect(shortAnswer == nil)
            await settle(engine, expecting: 2)
            clock.advance(seconds: 5)
            let middleAnswer = try await middle
            #expect(middleAnswer == nil)
            await settle(engine, expecting: 1)
            clock.advance(seconds: 19)
            await settle(engine, expecting: 1)
            clock.advance(seconds: 1)
            let longAnswer = try await long
            #expect(longAnswer == nil)
            #expect(await engine.activityWorkersWaiting(activity) == 0)
        }
    }

    /// A poll that outlives an earlier one's deadline still takes the task scheduled after it.
    @Test func aPollPastAnotherPollsDeadlineStillTakesATask() async throws {
        try await withEngine { engine, clock in
            async let early = engine.getActivityTask(activityArn: activity, workerName: "early", timeoutSeconds: 1)
            while await engine.activityWorkersWaiting(activity) < 1 { await Task.yield() }
            async let late = engine.getActivityTask(activityArn: activity, workerName: "late", timeoutSeconds: 60)
            while await engine.activityWorkersWaiting(activity) < 2 { await Task.yield() }
            clock.advance(seconds: 1)
            let earlyAnswer = try await early
            #expect(earlyAnswer == nil)
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: """
                {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"\(activity)","End":true}}}
                """)
            _ = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "one", input: #"{"n":1}"#)
            let task = try #require(try await late)
            #expect(task.input == #"{"n":1}"#)
        }
    }

    /// A graceful shutdown answers every parked poll empty at once, and any poll after it.
    @Test func shutdownEndsEveryPoll() async throws {
        try await withEngine { engine, _ in
            async let first = engine.getActivityTask(activityArn: activity, workerName: "a", timeoutSeconds: 60)
            async let second = engine.getActivityTask(activityArn: activity + "-other", workerName: "b", timeoutSeconds: 60)
            while await engine.activityWorkersWaiting(activity) < 1 { await Task.yield() }
            while await engine.activityWorkersWaiting(activity + "-other") < 1 { await Task.yield() }
            engine.endLongPolls()
            let firstAnswer = try await first
            #expect(firstAnswer == nil)
            let secondAnswer = try await second
            #expect(secondAnswer == nil)
            let later = try await engine.getActivityTask(activityArn: activity, workerName: "c", timeoutSeconds: 60)
            #expect(later == nil)
        }
    }

    /// Lets woken polls run, then checks how many are still parked.
    private func settle(_ engine: Engine, expecting count: Int) async {
        for _ in 0..<200 { await Task.yield() }
        #expect(await engine.activityWorkersWaiting(activity) == count)
    }
}
