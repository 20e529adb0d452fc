@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.work

import android.content.Context

/** Stubs of WorkManager (androidx.work; see Android.kt). */
class WorkerParameters

class Data

fun workDataOf(vararg pairs: Pair<String, Any?>): Data = Data()

abstract class ListenableWorker(context: Context, params: WorkerParameters) {
    abstract class Result {
        companion object {
            @JvmStatic fun success(): Result = object : Result() {}
            @JvmStatic fun retry(): Result = object : Result() {}
            @JvmStatic fun failure(): Result = object : Result() {}
        }
    }
}

abstract class CoroutineWorker(context: Context, params: WorkerParameters) : ListenableWorker(context, params) {
    abstract suspend fun doWork(): Result
    suspend fun setProgress(data: Data) {}
}
