// Stub of android.system.SystemCleaner for the JVM harness (API 33+ on Android). The
// generated bindings call it only when Build.VERSION.SDK_INT >= 34, which the stub Build
// never reports; this one hands out a JVM Cleaner all the same.
package android.system

object SystemCleaner {
    private val shared: java.lang.ref.Cleaner = java.lang.ref.Cleaner.create()

    @JvmStatic
    fun cleaner(): java.lang.ref.Cleaner = shared
}
