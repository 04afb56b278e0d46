import Foundation
import JSONata
import StatesLanguage

/// Time per evaluation of compiled JSONata expressions of the kinds ASL states use.
enum JSONataBench {
    static let input: JSON = try! JSONParser.parse(#"""
        {"order": {"id": "o-1001", "customer": {"name": "Ana Lima", "tier": "gold"}},
         "items": [{"sku": "a", "price": 12.5, "qty": 2}, {"sku": "b", "price": 4.0, "qty": 1},
                   {"sku": "c", "price": 30.0, "qty": 3}, {"sku": "d", "price": 8.25, "qty": 4}]}
        """#)

    static let expressions: [(String, String)] = [
        ("field access", "order.customer.name"),
        ("small object construction", #"{"id": order.id, "tier": order.customer.tier}"#),
        ("filter", "items[price > 10].sku"),
        ("$sum of products", "$sum(items.(price * qty))"),
        ("string functions", #"$uppercase(order.customer.name) & "-" & $substringAfter(order.id, "-")"#),
        ("object with aggregate", #"{"id": order.id, "total": $sum(items.(price * qty)), "count": $count(items)}"#),
        ("conditional", #"order.customer.tier = "gold" ? "priority" : "standard""#),
    ]

    static func run(seconds: Double) throws {
        // The input is converted once, as a state converts its input once for all its expressions;
        // the conversion is measured on its own.
        let converted = JSONata.Value(input)
        print("expression                      ns/evaluation   evaluations/s")
        func measure(_ name: String, _ body: () throws -> Void) rethrows {
            try body()
            var n = 0
            let start = monotonicSeconds()
            var elapsed = 0.0
            while elapsed < seconds {
                for _ in 0..<1000 { try body() }
                n += 1000
                elapsed = monotonicSeconds() - start
            }
            let ns = elapsed / Double(n) * 1e9
            print(name.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%13.0f %15.0f", ns, Double(n) / elapsed))
        }
        for (name, text) in expressions {
            let e = try JSONata(text)
            try measure(name) { _ = try e.evaluate(converted) }
        }
        measure("(input conversion, per state)") { _ = JSONata.Value(input) }
    }
}
