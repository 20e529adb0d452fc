@file:Suppress("unused")

package androidx.lifecycle

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.MainScope

/** Stubs of androidx.lifecycle (see Android.kt). */
abstract class ViewModel {
    protected open fun onCleared() {}
}

val ViewModel.viewModelScope: CoroutineScope get() = MainScope()
