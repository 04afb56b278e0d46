@testable import Engine
import StatesLanguage
import Testing

/// The timer loop sleeps until the earliest timer (or its idle cap); a timer scheduled before
/// that wake-up asks to ring the loop awake, one that is later does not.
@Suite struct TimerServiceTests {
    static let t0 = Timestamp(seconds: 1_000)

    @Test func theLoopSleepsUntilTheEarliestTimerOrItsCap() async {
        let timers = TimerService()
        #expect(await timers.sleep(cap: Self.t0.adding(seconds: 1)) == Self.t0.adding(seconds: 1))
        _ = await timers.takeDue(now: Self.t0)
        await timers.schedule("a", 1, due: Self.t0.adding(milliseconds: 300))
        #expect(await timers.sleep(cap: Self.t0.adding(seconds: 1)) == Self.t0.adding(milliseconds: 300))
    }

    @Test func aTimerDueBeforeTheWakeUpRingsOnce() async {
        let timers = TimerService()
        _ = await timers.sleep(cap: Self.t0.adding(seconds: 1))
        // Later than the wake-up: the loop sees it when it wakes.
        #expect(await timers.schedule("a", 1, due: Self.t0.adding(seconds: 2)) == false)
        // Sooner: ring. Then the loop is being woken; a second sooner timer need not ring again.
        #expect(await timers.schedule("a", 2, due: Self.t0.adding(milliseconds: 500)) == true)
        #expect(await timers.schedule("b", 1, due: Self.t0.adding(milliseconds: 400)) == false)
        // Awake (it takes what is due), nothing rings; asleep again, a sooner timer does.
        _ = await timers.takeDue(now: Self.t0)
        #expect(await timers.schedule("c", 1, due: Self.t0.adding(milliseconds: 100)) == false)
        #expect(await timers.sleep(cap: Self.t0.adding(seconds: 1)) == Self.t0.adding(milliseconds: 100))
        #expect(await timers.schedule("d", 1, due: Self.t0.adding(milliseconds: 50)) == true)
        // The same timer twice is one timer.
        #expect(await timers.schedule("d", 1, due: Self.t0.adding(milliseconds: 50)) == false)
    }

    @Test func aRingWakesTheLoopBeforeItsDeadline() async {
        // The loop's wait: the bell's ring ends it although the manual clock never moves.
        let timers = TimerService()
        let clock = ManualEngineClock(Self.t0)
        let next = await timers.sleep(cap: Self.t0.adding(seconds: 1))
        async let woke: Void = timers.bell.wait(until: next, on: clock)
        if await timers.schedule("a", 1, due: Self.t0.adding(milliseconds: 10)) { await timers.bell.ring() }
        await woke
        #expect(clock.now() == Self.t0)
    }
}
