import ArgumentParser
import Foundation
import Journal
import JournalPostgres
import StatesLanguage

/// `baton cluster status`: the nodes sharing a PostgreSQL journal and the partitions each holds.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cluster", abstract: "Inspect the nodes sharing one PostgreSQL journal.",
                                                    subcommands: [Status.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The nodes (when each was last seen) and every partition's lease: its owner, fencing token and time left.")

        @Option(help: "The cluster's PostgreSQL URL (or BATON_DATABASE).") var database: String?
        @Option(help: "table or json.") var format = "table"

        func validate() throws {
            if !["table", "json"].contains(format) { throw ValidationError("--format is table or json") }
            let url = database ?? ProcessInfo.processInfo.environment["BATON_DATABASE"]
            guard let url, !url.isEmpty else { throw ValidationError("give --database (or BATON_DATABASE)") }
            do { _ = try PostgresLocation(url: url) } catch { throw ValidationError("--database: \(error.message)") }
        }

        func run() async throws {
            let url = database ?? ProcessInfo.processInfo.environment["BATON_DATABASE"] ?? ""
            let journal = try await PostgresJournal(location: try PostgresLocation(url: url))
            let read: (now: Int64, nodes: [(node: String, address: String, seenMillis: Int64)], leases: [PartitionLease])
            do {
                read = (try await journal.databaseMillis(), try await journal.nodes(), try await journal.leases())
                await journal.close()
            } catch {
                await journal.close()
                throw error
            }
            let (now, nodes, leases) = read
            if format == "json" {
                let out: JSON = [
                    "nodes": .array(nodes.map { n in
                        ["node": .string(n.node), "address": .string(n.address), "lastSeenMillisAgo": .int(now - n.seenMillis),
                         "partitions": .array(leases.filter { $0.owner == n.node && $0.expiresMillis > now }.map { .int(Int64($0.partition)) })]
                    }),
                    "partitions": .array(leases.map { l in
                        ["partition": .int(Int64(l.partition)), "owner": l.owner.isEmpty ? .null : .string(l.owner), "token": .int(l.token),
                         "expiresInMillis": .int(l.expiresMillis - now), "held": .bool(l.expiresMillis > now)]
                    }),
                ]
                print(out.serialized)
                return
            }
            print("node                  address                last seen   partitions")
            for n in nodes {
                let held = leases.filter { $0.owner == n.node && $0.expiresMillis > now }.map { String($0.partition) }
                print("\(n.node.padding(toLength: 20, withPad: " ", startingAt: 0))  \(n.address.padding(toLength: 21, withPad: " ", startingAt: 0))  "
                    + "\(String(format: "%7.1f s", Double(now - n.seenMillis) / 1000))   \(held.isEmpty ? "-" : held.joined(separator: ","))")
            }
            let free = leases.filter { $0.expiresMillis <= now }.map { String($0.partition) }
            print("\(leases.count) partitions; not held: \(free.isEmpty ? "none" : free.joined(separator: ","))")
        }
    }
}
