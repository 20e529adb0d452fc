// Stub of android.os.Build for the JVM harness: the generated bindings (uniffi.toml:
// android = true) ask it for the API level to pick a cleaner. SDK_INT 0 selects JNA's cleaner,
// the one Android versions before 14 use. Never packaged: the Gradle module has the real one.
package android.os

object Build {
    object VERSION {
        @JvmField val SDK_INT: Int = 0
    }

    object VERSION_CODES {
        const val UPSIDE_DOWN_CAKE: Int = 34
    }
}
