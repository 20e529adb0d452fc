@file:Suppress("unused", "UNUSED_PARAMETER")

package android.security.keystore

import java.security.spec.AlgorithmParameterSpec

/** Stubs of android.security.keystore (see Android.kt). */
class KeyGenParameterSpec private constructor() : AlgorithmParameterSpec {
    class Builder(keystoreAlias: String, purposes: Int) {
        fun setBlockModes(vararg modes: String): Builder = this
        fun setEncryptionPaddings(vararg paddings: String): Builder = this
        fun setKeySize(size: Int): Builder = this
        fun build(): KeyGenParameterSpec = KeyGenParameterSpec()
    }
}

object KeyProperties {
    const val PURPOSE_ENCRYPT: Int = 1
    const val PURPOSE_DECRYPT: Int = 2
    const val BLOCK_MODE_GCM: String = "GCM"
    const val ENCRYPTION_PADDING_NONE: String = "NoPadding"
    const val KEY_ALGORITHM_AES: String = "AES"
}
