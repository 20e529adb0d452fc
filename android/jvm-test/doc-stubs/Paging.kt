@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.paging

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.emptyFlow

/** Stubs of Paging 3 (androidx.paging; see Android.kt). */
abstract class PagingSource<Key : Any, Value : Any> {
    sealed class LoadParams<Key : Any>(val loadSize: Int) {
        abstract val key: Key?
        class Refresh<Key : Any>(override val key: Key?, loadSize: Int) : LoadParams<Key>(loadSize)
        class Append<Key : Any>(override val key: Key, loadSize: Int) : LoadParams<Key>(loadSize)
        class Prepend<Key : Any>(override val key: Key, loadSize: Int) : LoadParams<Key>(loadSize)
    }

    sealed class LoadResult<Key : Any, Value : Any> {
        data class Page<Key : Any, Value : Any>(val data: List<Value>, val prevKey: Key?, val nextKey: Key?) :
            LoadResult<Key, Value>()
        data class Error<Key : Any, Value : Any>(val throwable: Throwable) : LoadResult<Key, Value>()
    }

    abstract suspend fun load(params: LoadParams<Key>): LoadResult<Key, Value>
    abstract fun getRefreshKey(state: PagingState<Key, Value>): Key?
    fun invalidate() {}
}

class PagingState<Key : Any, Value : Any>

class PagingConfig(val pageSize: Int, val enablePlaceholders: Boolean = true)

class PagingData<T : Any>

class Pager<Key : Any, Value : Any>(
    config: PagingConfig,
    initialKey: Key? = null,
    pagingSourceFactory: () -> PagingSource<Key, Value>,
) {
    val flow: Flow<PagingData<Value>> = emptyFlow()
}

fun <T : Any> Flow<PagingData<T>>.cachedIn(scope: CoroutineScope): Flow<PagingData<T>> = this
