/// The console's files, compiled into the binary by the package's `embedInCode` resources.
enum ConsoleAssets {
    static let files: [String: [UInt8]] = [
        "index.html": PackageResources.index_html,
        "console.css": PackageResources.console_css,
        "console.js": PackageResources.console_js,
        "graph.js": PackageResources.graph_js,
        "status.js": PackageResources.status_js,
    ]
}
