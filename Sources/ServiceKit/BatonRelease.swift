/// The release, in one place: `baton --version`, the start-up log and `GET /health` say it.
package enum BatonRelease {
    package static let version = "0.2.0"
}
