// The idiomatic Kotlin face of FieldCore: suspend functions that run the blocking native calls
// on Dispatchers.IO, Flow for long calls with progress, and coroutine cancellation wired to the
// library's CancelToken. Plain Kotlin (no Android API), so the JVM test harness compiles it too.
package com.fieldcore

import java.io.File
import java.util.UUID
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.channelFlow
import kotlinx.coroutines.withContext

/**
 * A [FieldStore] for coroutine code: every function suspends and runs the native call on
 * [dispatcher] ([Dispatchers.IO] by default), so it is safe to call from the main thread.
 *
 * Open one per database for the app's lifetime (for example in the Application or a DI
 * singleton) and [close] it when the app no longer needs it. Native errors arrive as
 * [FieldException] (for example [FieldException.Validation] with the field name); a panic inside
 * the library arrives as [InternalException].
 */
class FieldCore(
    /** The blocking API underneath, for code that already runs on a background thread. */
    val store: FieldStore,
    private val dispatcher: CoroutineDispatcher = Dispatchers.IO,
) : AutoCloseable {

    companion object {
        /**
         * Opens (or creates) the database at [path] (photos go to `<path>.blobs/` beside it)
         * for [user], off the calling thread.
         */
        suspend fun open(
            path: String,
            user: String,
            dispatcher: CoroutineDispatcher = Dispatchers.IO,
        ): FieldCore = withContext(dispatcher) { FieldCore(FieldStore.open(path, user), dispatcher) }
    }

    private suspend fun <T> io(block: FieldStore.() -> T): T = withContext(dispatcher) { store.block() }

    private val changedCases = MutableSharedFlow<Set<UUID>>(
        extraBufferCapacity = 64,
        // A slow collector misses intermediate sets, never the fact that something changed:
        // the newest set is kept, and a screen reloads what it shows anyway.
        onBufferOverflow = BufferOverflow.DROP_OLDEST,
    )
    private val status = MutableStateFlow(store.syncStatus())

    init {
        // Registered once for the store's life; the native side calls it with the store free,
        // so a collector may read the store at once.
        store.setObserver(object : StoreObserver {
            override fun onCasesChanged(caseIds: List<UUID>) {
                changedCases.tryEmit(caseIds.toSet())
            }

            override fun onSyncStatus(status: SyncStatus) {
                this@FieldCore.status.value = status
            }
        })
    }

    /**
     * The ids of cases that changed, after every command (on any thread) and every sync round
     * (including other devices' changes arriving): a list or detail screen reloads when its
     * cases are in the set. Hot; collectors see changes made after they start collecting.
     */
    val changes: SharedFlow<Set<UUID>> = changedCases.asSharedFlow()

    /**
     * The sync banner: idle or syncing with progress, the last success, the last error. The
     * last success and the last error are kept in the database: a store opened after a restart
     * starts with them ("last sync failed: …" until a sync succeeds).
     */
    val syncStatus: StateFlow<SyncStatus> = status.asStateFlow()

    /** Tab badges: cases per status, overdue, in conflict. */
    suspend fun counts(): CaseCounts = io { counts() }

    suspend fun register(registration: Registration): CaseView = io { register(registration) }

    suspend fun case(id: UUID): CaseView = io { getCase(id) }

    /** A case by full id, an id prefix (4+ characters) or its official number. */
    suspend fun find(reference: String): UUID = io { findCase(reference) }

    /** One page of a list screen; pass [CasePage.next] as [ListQuery.after] for the next. */
    suspend fun list(query: ListQuery = ListQuery()): CasePage = io { listCases(query) }

    suspend fun execute(id: UUID, command: CaseCommand): CommandResult = io { execute(id, command) }

    suspend fun checkWarranty(question: WarrantyQuestion): WarrantyDecision = io { checkWarranty(question) }

    // Returns and exchanges (退换货): each is one [execute] of the matching [CaseCommand]; the
    // return's state, checks A–G and deadlines are in [CaseView.returns] of the result.

    /**
     * Requests a return or exchange (产品退换维修单). HQ's approval chain decides it and issues
     * the RMA number, which arrives with a sync. The request's id is [CommandResult.entryId].
     * Outside the return window without [ReturnRequest.windowOverride]:
     * [FieldException.Validation] on `window_override`, explaining the window.
     */
    suspend fun requestReturn(id: UUID, request: ReturnRequest): CommandResult =
        execute(id, CaseCommand.RequestReturn(request))

    /**
     * Records returned goods at the door (退货产品接收单), offline too: the checks A–G are made
     * against the RMA numbers this device holds and made again when a sync brings more. The
     * receipt's id is [CommandResult.entryId].
     */
    suspend fun receiveReturn(id: UUID, receipt: ReceiptInput): CommandResult =
        execute(id, CaseCommand.ReceiveReturn(receipt))

    suspend fun amendReceipt(id: UUID, amendment: ReceiptAmendment): CommandResult =
        execute(id, CaseCommand.AmendReceipt(amendment))

    /** The re-inspection of one received [unit] (its serial, or its position 1, 2, …). */
    suspend fun inspectReturnUnit(id: UUID, receipt: String, unit: String, result: InspectionResult): CommandResult =
        execute(id, CaseCommand.InspectReturnUnit(receipt, unit, result))

    /** Asks HQ to approve the replenishment notice (补货通知) of an exchange ([request]: id or RMA number). */
    suspend fun requestReplenishment(id: UUID, request: String, note: String): CommandResult =
        execute(id, CaseCommand.RequestReplenishment(request, note))

    /** The customer confirms receipt of an exchange's replacement. */
    suspend fun confirmReplacement(id: UUID, request: String, note: String = ""): CommandResult =
        execute(id, CaseCommand.ConfirmReplacement(request, note))

    /** The return-analysis report (退货分析改善报告) a batch return needs before the case closes. */
    suspend fun recordReturnAnalysis(
        id: UUID,
        request: String,
        cause: String,
        actions: String,
        photos: List<String> = emptyList(),
    ): CommandResult = execute(id, CaseCommand.RecordReturnAnalysis(request, cause, actions, photos))

    /** The case's returns, oldest request first (a return screen's one read). */
    suspend fun returns(id: UUID): List<CaseReturn> = case(id).returns

    // Warranty spare parts (三包配件): a holder's ledger per quarter, recorded offline.

    /**
     * Records a stock command in [holder]'s ledger (`center:C01`, `dealer:D07`, `van:wang`). An
     * issue without stock on hand is recorded and shows in [stockBalance] below zero, never
     * refused. A bad holder: [FieldException.Validation] with code `validation.not_stock_holder`.
     */
    suspend fun recordStock(holder: String, command: StockCommand): StockRecorded =
        io { recordStock(holder, command) }

    /** The holder's balance per part; [PartBalance.negative] flags a part below zero. */
    suspend fun stockBalance(holder: String): List<PartBalance> = io { stockBalance(holder) }

    /** One quarter's ledger (`2026Q4`), or `null` when this device holds none. */
    suspend fun stockLedger(holder: String, quarter: String): LedgerView? = io { stockLedger(holder, quarter) }

    suspend fun stockLedgers(): List<HeldLedger> = io { stockLedgers() }

    suspend fun importPhoto(id: UUID, jpeg: ByteArray, kind: PhotoKind, caption: String = ""): PhotoImport =
        io { importPhoto(id, jpeg, kind, caption) }

    suspend fun importPhoto(id: UUID, file: File, kind: PhotoKind, caption: String = ""): PhotoImport =
        io { importPhotoFile(id, file.path, kind, caption) }

    /** Imports pixels the app decoded itself (HEIC through ImageDecoder), as [importPhoto]. */
    suspend fun importPhotoPixels(id: UUID, pixels: PhotoPixels, kind: PhotoKind, caption: String = ""): PhotoImport =
        io { importPhotoPixels(id, pixels, kind, caption) }

    /**
     * Imports several photo files, suspending until done. [report] is called on the worker
     * thread after each photo. Cancelling the coroutine stops the batch between photos (the
     * ones already imported stay) and throws [CancellationException].
     */
    suspend fun importPhotos(
        id: UUID,
        files: List<PhotoFile>,
        report: (ProgressUpdate) -> Unit = {},
    ): PhotoBatch {
        val listener = object : ProgressListener {
            override fun onProgress(progress: ProgressUpdate) = report(progress)
        }
        return cancellable(dispatcher) { token -> store.importPhotos(id, files, listener, token) }
    }

    /**
     * The same batch as a cold [Flow]: [ImportEvent.Progress] after each photo, then one
     * [ImportEvent.Done]. Collecting starts the import; cancelling the collector (leaving the
     * screen, `first { }`, `take(n)`) cancels the batch between photos.
     */
    fun importPhotosFlow(id: UUID, files: List<PhotoFile>): Flow<ImportEvent> = channelFlow {
        val listener = object : ProgressListener {
            // Progress is advisory: a full buffer drops an update rather than blocking the import.
            override fun onProgress(progress: ProgressUpdate) {
                trySend(ImportEvent.Progress(progress))
            }
        }
        val batch = cancellable(dispatcher) { token -> store.importPhotos(id, files, listener, token) }
        send(ImportEvent.Done(batch))
    }

    suspend fun photos(id: UUID): List<PhotoInfo> = io { photos(id) }

    /** The JPEG file of a photo or thumbnail, or null when it is not on this device yet. */
    suspend fun photoFile(hash: String): File? = io { photoPath(hash)?.let(::File) }

    /**
     * Syncs with HQ, suspending until done (seconds; longer with many photos on a slow
     * network). [report] is called on the worker thread after each round trip
     * ([ProgressStage.SYNCING_CASES]) and each photo upload ([ProgressStage.UPLOADING_PHOTOS]).
     * Cancelling the coroutine (a WorkManager stop, leaving the screen) stops the sync at its
     * next safe point and throws [CancellationException]; what it finished stays stored and the
     * next sync resumes. HQ unreachable after the retries: [FieldException.Network]; token
     * refused: [FieldException.Unauthorized].
     */
    suspend fun sync(config: SyncConfig, report: (ProgressUpdate) -> Unit = {}): SyncReport {
        val listener = object : ProgressListener {
            override fun onProgress(progress: ProgressUpdate) = report(progress)
        }
        return cancellable(dispatcher) { token -> store.sync(config, listener, token) }
    }

    /**
     * The same sync as a cold [Flow]: [SyncEvent.Progress] after each step, then one
     * [SyncEvent.Done] with the report. Collecting starts the sync; cancelling the collector
     * cancels it at the next safe point.
     */
    fun syncFlow(config: SyncConfig): Flow<SyncEvent> = channelFlow {
        val listener = object : ProgressListener {
            // Progress is advisory: a full buffer drops an update rather than holding up the sync.
            override fun onProgress(progress: ProgressUpdate) {
                trySend(SyncEvent.Progress(progress))
            }
        }
        val report = cancellable(dispatcher) { token -> store.sync(config, listener, token) }
        send(SyncEvent.Done(report))
    }

    /**
     * The JPEG of a photo or thumbnail taken on another device, downloaded from HQ when it is
     * not on this device yet. [FieldException.NotFound] when HQ does not have it either.
     */
    suspend fun fetchPhoto(config: SyncConfig, hash: String): File =
        File(cancellable(dispatcher) { token -> store.fetchPhoto(config, hash, token) })

    suspend fun collectGarbage(): Collected = io { collectGarbage() }

    /**
     * Removes cases closed at least [maxAgeDays] ago that are synced and have nothing left to
     * send (documents, list rows, photo files no kept case shows); for a periodic job.
     */
    suspend fun evictClosedCases(maxAgeDays: Int = 90): EvictionReport = io { evictClosedCases(maxAgeDays) }

    /** Cases removed from this device; [find] still finds them by number. */
    suspend fun evictedCases(): List<EvictedCase> = io { evictedCases() }

    /**
     * Asks for a case [FieldException.Evicted] named: the next sync fetches it whole, after
     * which [case] reads it again.
     */
    suspend fun requestCase(id: UUID) = io { requestCase(id) }

    suspend fun summary(): StoreSummary = io { summary() }

    suspend fun setUser(user: String) = io { setUser(user) }

    /**
     * The role of the user working now, as HQ has it (null: not known): a command writing what
     * the role may not write (a receipt from an engineer's phone) then fails at once with
     * [FieldException.Unauthorized] instead of being refused at sync.
     */
    suspend fun setRole(role: Role?) = io { setRole(role) }

    /** Releases the native store; the database closes once calls in flight have finished. */
    override fun close() {
        store.setObserver(null)
        store.close()
    }
}

/**
 * The stable code of the error's reason (`validation.negative`, `lifecycle.case_closed`,
 * `authority.not_permitted`, `sync.network`, ...; every code with its Chinese and English
 * message is in docs/mobile.md): the same in every version and language, for the app's own
 * texts and its logs. Each case of [FieldException] carries it; this reads it from any of them.
 */
val FieldException.code: String
    get() = when (this) {
        is FieldException.Validation -> code
        is FieldException.UpdateRequired -> code
        is FieldException.NotFound -> code
        is FieldException.Evicted -> code
        is FieldException.Conflict -> code
        is FieldException.Storage -> code
        is FieldException.Network -> code
        is FieldException.Unauthorized -> code
        is FieldException.Cancelled -> "cancelled"
        is FieldException.UnsupportedInput -> code
        is FieldException.Internal -> code
    }

/**
 * The text to show the user: the reason, in the language set with `setLocale` (what Swift's
 * `errorDescription` is). `message` is a debug dump of the fields, for logs.
 */
val FieldException.userMessage: String
    get() = when (this) {
        is FieldException.Validation -> reason
        is FieldException.UpdateRequired -> reason
        is FieldException.NotFound -> reason
        is FieldException.Evicted -> reason
        is FieldException.Conflict -> reason
        is FieldException.Storage -> reason
        is FieldException.Network -> reason
        is FieldException.Unauthorized -> reason
        is FieldException.Cancelled -> if (currentLocale() == Locale.ZH_CN) "已取消" else "cancelled"
        is FieldException.UnsupportedInput -> reason
        is FieldException.Internal -> reason
    }

/** What [FieldCore.importPhotosFlow] emits. */
sealed interface ImportEvent {
    data class Progress(val progress: ProgressUpdate) : ImportEvent
    data class Done(val batch: PhotoBatch) : ImportEvent
}

/** What [FieldCore.syncFlow] emits. */
sealed interface SyncEvent {
    data class Progress(val progress: ProgressUpdate) : SyncEvent
    data class Done(val report: SyncReport) : SyncEvent
}

/**
 * Runs a blocking call that takes a [CancelToken] on [dispatcher], cancelling the token when the
 * calling coroutine is cancelled. The native call stops at its next safe point and throws
 * [FieldException.Cancelled], which becomes the coroutine's [CancellationException]; this
 * function waits for the call to end (so the token and the store are never released under a
 * running call). Photo batches, sync and photo downloads use it.
 */
internal suspend fun <T> cancellable(dispatcher: CoroutineDispatcher, call: (CancelToken) -> T): T {
    val token = CancelToken()
    try {
        return coroutineScope {
            val work = async(dispatcher) {
                try {
                    call(token)
                } catch (e: FieldException.Cancelled) {
                    // A cancellation, not a failure: keeps structured concurrency from reporting
                    // it in place of the caller's own CancellationException.
                    throw CancellationException("cancelled").apply { initCause(e) }
                }
            }
            try {
                work.await()
            } catch (e: CancellationException) {
                token.cancel()
                throw e
            }
        }
    } finally {
        token.close()
    }
}
