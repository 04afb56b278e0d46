import Foundation
import ServiceKit
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A request's XML body as a tree (DeleteObjects, CompleteMultipartUpload,
/// CreateBucketConfiguration): element names without namespaces, text, children in order.
final class XMLElementTree: NSObject, XMLParserDelegate {
    final class Node {
        let name: String
        var text = ""
        var children: [Node] = []
        /// Attributes by their local names (`xsi:type` as `type`).
        var attributes: [String: String] = [:]
        init(_ name: String) { self.name = name }

        func child(_ name: String) -> Node? { children.first { $0.name == name } }
        func all(_ name: String) -> [Node] { children.filter { $0.name == name } }
        func value(_ name: String) -> String? { child(name)?.text }

        /// The element written back (without namespace or attributes): a leaf's text, or
        /// its children in order. How a kept configuration is embedded in a list answer.
        func write(to w: inout XMLWriter, as tag: String? = nil) {
            let tag = tag ?? name
            w.raw("<\(tag)>")
            if children.isEmpty { w.text(text) } else { for c in children { c.write(to: &w) } }
            w.raw("</\(tag)>")
        }
    }

    private var stack: [Node] = []
    private var root: Node?

    /// The document's root, or nil when the bytes are not well-formed XML.
    static func parse(_ bytes: [UInt8]) -> Node? {
        let tree = XMLElementTree()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = tree
        guard parser.parse() else { return nil }
        return tree.root
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
        let node = Node(local)
        for (k, v) in attributes { node.attributes[k.split(separator: ":").last.map(String.init) ?? k] = v }
        stack.last?.children.append(node)
        if stack.isEmpty { root = node }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        _ = stack.popLast()
    }
}
