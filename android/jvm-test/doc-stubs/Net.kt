@file:Suppress("unused")

package android.net

/** Stub of android.net.Uri (see Android.kt). */
abstract class Uri
