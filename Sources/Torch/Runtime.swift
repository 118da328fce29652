// Runtime.swift — facts about the loaded libtorch, and the start-up check that it is the one we built for.
import CTorch

public enum Runtime {
    /// The torch version of the headers this build of Mnemo was compiled against.
    public static var compiledVersion: String { String(cString: mt_compiled_version()) }
    /// The torch version the loaded library reports ("" when it does not say).
    public static var loadedVersion: String { String(cString: mt_runtime_version()) }
    public static var buildConfiguration: String { String(cString: mt_runtime_config()) }
    public static var cudaIsAvailable: Bool { mt_cuda_is_available() }
    public static var cudaDeviceCount: Int { Int(mt_cuda_device_count()) }
    public static func cudaSynchronize() { mt_cuda_synchronize() }

    /// Intra-op threads libtorch uses (torch.get_num_threads / set_num_threads).
    public static var threads: Int {
        get { Int(mt_get_num_threads()) }
        set { mt_set_num_threads(Int32(newValue)) }
    }

    /// Checks that the loaded libtorch is the version the headers came from; returns a message naming
    /// LIBTORCH when they differ, nil when they agree.
    public static func versionMismatch() -> String? {
        let loaded = loadedVersion, compiled = compiledVersion
        // "2.15.0+cu132" and "2.15.0" agree: the local suffix names the build, not the API.
        let base = loaded.split(separator: "+").first.map(String.init) ?? loaded
        if base.isEmpty || base == compiled { return nil }
        return "the loaded libtorch is \(loaded) but Mnemo was built against \(compiled) headers; "
            + "rebuild after pointing LIBTORCH at one libtorch (or unset it to use the pinned one from `make setup`)"
    }

    /// Stops the program with a clear message when the versions differ (call once at start-up).
    public static func checkVersion() {
        if let message = versionMismatch() { fatalError("torch: \(message)") }
    }
}
