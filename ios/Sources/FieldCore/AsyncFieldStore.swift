// The idiomatic Swift face of FieldCore: async functions that run the blocking native calls on
// a background dispatch queue (never the main thread, never Swift's cooperative pool), an
// AsyncThrowingStream for long calls with progress, and Task cancellation wired to the
// library's CancelToken. The generated API (FieldStore, records, FieldError) is in Generated/.
import Foundation

/// A `FieldStore` for async code. Open one per database for the app's lifetime and keep it
/// (an app-wide service object); the database closes when the last reference goes.
///
/// Errors are `FieldError` (for example `.Validation(field:reason:code:)`); a panic inside the
/// library arrives as another `Error` whose description holds the panic message.
public final class AsyncFieldStore: @unchecked Sendable {
    /// The blocking API underneath, for code already on a background thread.
    public let store: FieldStore
    /// Concurrent: the library serialises writes itself and reads beside them, so a list or a
    /// case never queues behind a sync or a photo batch here either.
    private let queue: DispatchQueue
    private let hub = ObservationHub()

    public init(store: FieldStore, queue: DispatchQueue = DispatchQueue(label: "com.fieldcore.store", qos: .userInitiated, attributes: .concurrent)) {
        self.store = store
        self.queue = queue
        store.setObserver(observer: hub)
    }

    deinit {
        store.setObserver(observer: nil)
    }

    /// The ids of cases that changed, after every command and every sync round (other
    /// devices' changes arriving included): a screen reloads when its cases are in the set.
    /// Each call makes a new stream; it ends when the iterating task is cancelled.
    public func changes() -> AsyncStream<Set<CaseId>> {
        hub.changes()
    }

    /// The sync banner's states, starting with the current one.
    public func syncStatuses() -> AsyncStream<SyncStatus> {
        hub.statuses(startingWith: store.syncStatus())
    }

    /// Tab badges: cases per status, overdue, in conflict.
    public func counts() async throws -> CaseCounts {
        try await run { try $0.counts() }
    }

    /// Opens (or creates) the database at `url` (photos go to `<name>.blobs/` beside it) for
    /// `user`, off the calling thread. See `FieldCoreFiles.databaseURL()` for where it lives.
    public static func open(url: URL, user: String) async throws -> AsyncFieldStore {
        let queue = DispatchQueue(label: "com.fieldcore.store", qos: .userInitiated, attributes: .concurrent)
        let store: FieldStore = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try FieldStore.open(path: url.path, user: user) })
            }
        }
        return AsyncFieldStore(store: store, queue: queue)
    }

    private func run<T>(_ work: @escaping (FieldStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [store] in
                continuation.resume(with: Result { try work(store) })
            }
        }
    }

    public func register(_ registration: Registration) async throws -> CaseView {
        try await run { try $0.register(registration: registration) }
    }

    public func view(of id: CaseId) async throws -> CaseView {
        try await run { try $0.getCase(caseId: id) }
    }

    /// A case by full id, an id prefix (4+ characters) or its official number.
    public func find(_ reference: String) async throws -> CaseId {
        try await run { try $0.findCase(reference: reference) }
    }

    /// One page of a list screen; pass `page.next` as `ListQuery.after` for the next one.
    public func list(_ query: ListQuery = ListQuery()) async throws -> CasePage {
        try await run { try $0.listCases(query: query) }
    }

    @discardableResult
    public func execute(_ command: CaseCommand, on id: CaseId) async throws -> CommandResult {
        try await run { try $0.execute(caseId: id, command: command) }
    }

    // Returns and exchanges (退换货): each is one `execute` of the matching `CaseCommand`; the
    // return's state, checks A–G and deadlines are in `CaseView.returns` of the result.

    /// Requests a return or exchange (产品退换维修单); HQ's approval chain decides it and the RMA
    /// number arrives with a sync. The request's id is `CommandResult.entryId`.
    @discardableResult
    public func requestReturn(_ request: ReturnRequest, on id: CaseId) async throws -> CommandResult {
        try await execute(.requestReturn(request: request), on: id)
    }

    /// Records returned goods at the door (退货产品接收单), offline too: checks A–G are made
    /// against the RMA numbers this device holds, and again when a sync brings more.
    @discardableResult
    public func receiveReturn(_ receipt: ReceiptInput, on id: CaseId) async throws -> CommandResult {
        try await execute(.receiveReturn(receipt: receipt), on: id)
    }

    @discardableResult
    public func amendReceipt(_ amendment: ReceiptAmendment, on id: CaseId) async throws -> CommandResult {
        try await execute(.amendReceipt(amendment: amendment), on: id)
    }

    /// The re-inspection of one received unit (its serial, or its position 1, 2, …).
    @discardableResult
    public func inspectReturnUnit(receipt: String, unit: String, result: InspectionResult, on id: CaseId) async throws -> CommandResult {
        try await execute(.inspectReturnUnit(receipt: receipt, unit: unit, result: result), on: id)
    }

    /// The case's returns, oldest request first.
    public func returns(of id: CaseId) async throws -> [CaseReturn] {
        try await view(of: id).returns
    }

    /// The role of the user working now, as HQ has it (`nil`: not known): a command the role
    /// may not run (a receipt from an engineer's phone) then fails at once.
    public func setRole(_ role: Role?) async throws {
        try await run { try $0.setRole(role: role) }
    }

    public func checkWarranty(_ question: WarrantyQuestion) async throws -> WarrantyDecision {
        try await run { try $0.checkWarranty(question: question) }
    }

    public func importPhoto(_ jpeg: Data, kind: PhotoKind, caption: String = "", to id: CaseId) async throws -> PhotoImport {
        try await run { try $0.importPhoto(caseId: id, bytes: jpeg, kind: kind, caption: caption) }
    }

    public func importPhoto(file: URL, kind: PhotoKind, caption: String = "", to id: CaseId) async throws -> PhotoImport {
        try await run { try $0.importPhotoFile(caseId: id, path: file.path, kind: kind, caption: caption) }
    }

    /// Imports several photo files, returning when done. `progress` is called on the store's
    /// queue after each photo. Cancelling the task stops the batch between photos (the ones
    /// already imported stay) and throws `CancellationError`.
    public func importPhotos(
        _ files: [PhotoFile],
        to id: CaseId,
        progress: @escaping @Sendable (ProgressUpdate) -> Void = { _ in }
    ) async throws -> PhotoBatch {
        let listener = ProgressRelay(progress)
        return try await cancellable { store, token in
            try store.importPhotos(caseId: id, files: files, listener: listener, cancel: token)
        }
    }

    /// The same batch as a stream: `.progress` after each photo, then one `.done`. Ending the
    /// iteration early (or cancelling its task) cancels the batch between photos.
    public func importPhotoEvents(_ files: [PhotoFile], to id: CaseId) -> AsyncThrowingStream<ImportEvent, Error> {
        AsyncThrowingStream { continuation in
            let token = CancelToken()
            let listener = ProgressRelay { continuation.yield(.progress($0)) }
            continuation.onTermination = { @Sendable termination in
                if case .cancelled = termination { token.cancel() }
            }
            queue.async { [store] in
                do {
                    let batch = try store.importPhotos(caseId: id, files: files, listener: listener, cancel: token)
                    continuation.yield(.done(batch))
                    continuation.finish()
                } catch FieldError.Cancelled {
                    continuation.finish(throwing: CancellationError())
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    public func photos(of id: CaseId) async throws -> [PhotoInfo] {
        try await run { try $0.photos(caseId: id) }
    }

    /// The JPEG file of a photo or thumbnail, or nil when it is not on this device yet.
    public func photoURL(hash: String) async throws -> URL? {
        try await run { try $0.photoPath(hash: hash).map { URL(fileURLWithPath: $0) } }
    }

    /// Syncs with HQ, returning when done (seconds; longer with many photos on a slow network).
    /// `progress` is called on the store's queue after each round trip (`.syncingCases`) and
    /// each photo upload (`.uploadingPhotos`). Cancelling the task (a BGTask's expiration
    /// handler, leaving the screen) stops the sync at its next safe point and throws
    /// `CancellationError`; what it finished stays stored and the next sync resumes. HQ
    /// unreachable after the retries: `FieldError.Network`; token refused: `.Unauthorized`.
    @discardableResult
    public func sync(
        _ config: SyncConfig,
        progress: @escaping @Sendable (ProgressUpdate) -> Void = { _ in }
    ) async throws -> SyncReport {
        let listener = ProgressRelay(progress)
        return try await cancellable { store, token in
            try store.sync(config: config, listener: listener, cancel: token)
        }
    }

    /// The same sync as a stream: `.progress` after each step, then one `.done` with the
    /// report. Ending the iteration early (or cancelling its task) cancels the sync.
    public func syncEvents(_ config: SyncConfig) -> AsyncThrowingStream<SyncEvent, Error> {
        AsyncThrowingStream { continuation in
            let token = CancelToken()
            let listener = ProgressRelay { continuation.yield(.progress($0)) }
            continuation.onTermination = { @Sendable termination in
                if case .cancelled = termination { token.cancel() }
            }
            queue.async { [store] in
                do {
                    let report = try store.sync(config: config, listener: listener, cancel: token)
                    continuation.yield(.done(report))
                    continuation.finish()
                } catch FieldError.Cancelled {
                    continuation.finish(throwing: CancellationError())
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// The JPEG of a photo or thumbnail taken on another device, downloaded from HQ when it is
    /// not on this device yet. `FieldError.NotFound` when HQ does not have it either.
    public func fetchPhoto(hash: String, config: SyncConfig) async throws -> URL {
        let path = try await cancellable { store, token in
            try store.fetchPhoto(config: config, hash: hash, cancel: token)
        }
        return URL(fileURLWithPath: path)
    }

    public func collectGarbage() async throws -> Collected {
        try await run { try $0.collectGarbage() }
    }

    /// Removes cases closed at least `maxAgeDays` ago that are synced and have nothing left to
    /// send (documents, list rows, photo files no kept case shows); for a background task.
    public func evictClosedCases(maxAgeDays: Int32 = 90) async throws -> EvictionReport {
        try await run { try $0.evictClosedCases(maxAgeDays: maxAgeDays) }
    }

    /// Cases removed from this device; `find` still finds them by number.
    public func evictedCases() async throws -> [EvictedCase] {
        try await run { try $0.evictedCases() }
    }

    /// Asks for a case `FieldError.Evicted` named: the next sync fetches it whole.
    public func requestCase(_ id: CaseId) async throws {
        try await run { try $0.requestCase(caseId: id) }
    }

    public func summary() async throws -> StoreSummary {
        try await run { try $0.summary() }
    }

    public func setUser(_ user: String) async throws {
        try await run { try $0.setUser(user: user) }
    }

    /// Runs a call that takes a `CancelToken`, cancelling the token when the task is cancelled.
    /// The native call stops at its next safe point; its `FieldError.Cancelled` becomes
    /// `CancellationError`. Photo batches, sync and photo downloads use it.
    func cancellable<T>(_ work: @escaping (FieldStore, CancelToken) throws -> T) async throws -> T {
        let token = CancelToken()
        do {
            return try await withTaskCancellationHandler {
                try await run { try work($0, token) }
            } onCancel: {
                token.cancel()
            }
        } catch FieldError.Cancelled {
            throw CancellationError()
        }
    }
}

/// What `AsyncFieldStore.importPhotoEvents` yields.
public enum ImportEvent: @unchecked Sendable {
    case progress(ProgressUpdate)
    case done(PhotoBatch)
}

/// What `AsyncFieldStore.syncEvents` yields.
public enum SyncEvent: @unchecked Sendable {
    case progress(ProgressUpdate)
    case done(SyncReport)
}

/// The library's `StoreObserver`, fanned out to every stream a screen asked for.
final class ObservationHub: StoreObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var changeContinuations: [UUID: AsyncStream<Set<CaseId>>.Continuation] = [:]
    private var statusContinuations: [UUID: AsyncStream<SyncStatus>.Continuation] = [:]

    /// `work` under the lock (iOS 15 has no `NSLock.withLock`).
    private func locked<T>(_ work: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return work()
    }

    func changes() -> AsyncStream<Set<CaseId>> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let key = UUID()
            locked { changeContinuations[key] = continuation }
            continuation.onTermination = { [weak self] _ in
                self?.locked { _ = self?.changeContinuations.removeValue(forKey: key) }
            }
        }
    }

    func statuses(startingWith current: SyncStatus) -> AsyncStream<SyncStatus> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let key = UUID()
            continuation.yield(current)
            locked { statusContinuations[key] = continuation }
            continuation.onTermination = { [weak self] _ in
                self?.locked { _ = self?.statusContinuations.removeValue(forKey: key) }
            }
        }
    }

    func onCasesChanged(caseIds: [CaseId]) {
        let ids = Set(caseIds)
        for continuation in locked({ Array(changeContinuations.values) }) {
            continuation.yield(ids)
        }
    }

    func onSyncStatus(status: SyncStatus) {
        for continuation in locked({ Array(statusContinuations.values) }) {
            continuation.yield(status)
        }
    }
}

/// The stable code of an error's reason, one constant per code the library can produce (the
/// table in docs/mobile.md, from core/src/codes.rs; ios/check-swift.sh checks that every code
/// there is declared here). Compare `error.errorCode == .lifecycleCaseClosed`; a code a newer
/// library adds still arrives, as a value without a constant.
public struct FieldErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let validationAfterPurchase = FieldErrorCode(rawValue: "validation.after_purchase")
    public static let validationAfterReceived = FieldErrorCode(rawValue: "validation.after_received")
    public static let validationAgreedBeforeStart = FieldErrorCode(rawValue: "validation.agreed_before_start")
    public static let validationAlreadyFirstResponder = FieldErrorCode(rawValue: "validation.already_first_responder")
    public static let validationAlreadyWithQa = FieldErrorCode(rawValue: "validation.already_with_qa")
    public static let validationAtLeastOne = FieldErrorCode(rawValue: "validation.at_least_one")
    public static let validationAtMost = FieldErrorCode(rawValue: "validation.at_most")
    public static let validationBadCertificate = FieldErrorCode(rawValue: "validation.bad_certificate")
    public static let validationChoiceOutOfRange = FieldErrorCode(rawValue: "validation.choice_out_of_range")
    public static let validationCoveredNotCharged = FieldErrorCode(rawValue: "validation.covered_not_charged")
    public static let validationCoveredNotPaidRepair = FieldErrorCode(rawValue: "validation.covered_not_paid_repair")
    public static let validationDefectNotConfirmed = FieldErrorCode(rawValue: "validation.defect_not_confirmed")
    public static let validationHashMismatch = FieldErrorCode(rawValue: "validation.hash_mismatch")
    public static let validationInTheFuture = FieldErrorCode(rawValue: "validation.in_the_future")
    public static let validationInvoicePhotoWithoutProof = FieldErrorCode(rawValue: "validation.invoice_photo_without_proof")
    public static let validationNegative = FieldErrorCode(rawValue: "validation.negative")
    public static let validationNoCaseMatches = FieldErrorCode(rawValue: "validation.no_case_matches")
    public static let validationNoCertificate = FieldErrorCode(rawValue: "validation.no_certificate")
    public static let validationNoConflict = FieldErrorCode(rawValue: "validation.no_conflict")
    public static let validationNoCorrection = FieldErrorCode(rawValue: "validation.no_correction")
    public static let validationNoFolder = FieldErrorCode(rawValue: "validation.no_folder")
    public static let validationNoInvestigation = FieldErrorCode(rawValue: "validation.no_investigation")
    public static let validationNoOldPartKept = FieldErrorCode(rawValue: "validation.no_old_part_kept")
    public static let validationNotCaptureTime = FieldErrorCode(rawValue: "validation.not_capture_time")
    public static let validationNotCaseId = FieldErrorCode(rawValue: "validation.not_case_id")
    public static let validationNotCoordinate = FieldErrorCode(rawValue: "validation.not_coordinate")
    public static let validationCaseBeforeReturns = FieldErrorCode(rawValue: "validation.case_before_returns")
    public static let validationNotZero = FieldErrorCode(rawValue: "validation.not_zero")
    public static let validationTransferToSelf = FieldErrorCode(rawValue: "validation.transfer_to_self")
    public static let validationDuplicateTag = FieldErrorCode(rawValue: "validation.duplicate_tag")
    public static let validationNotQuarter = FieldErrorCode(rawValue: "validation.not_quarter")
    public static let validationOutsideQuarter = FieldErrorCode(rawValue: "validation.outside_quarter")
    public static let validationDuplicateId = FieldErrorCode(rawValue: "validation.duplicate_id")
    public static let validationNotAmount = FieldErrorCode(rawValue: "validation.not_amount")
    public static let validationNotStockHolder = FieldErrorCode(rawValue: "validation.not_stock_holder")
    public static let validationTooMany = FieldErrorCode(rawValue: "validation.too_many")
    public static let validationOneModelPerReturn = FieldErrorCode(rawValue: "validation.one_model_per_return")
    public static let validationOutsideReturnWindow = FieldErrorCode(rawValue: "validation.outside_return_window")
    public static let validationRefusalNeedsCheck = FieldErrorCode(rawValue: "validation.refusal_needs_check")
    public static let validationReceiptRefused = FieldErrorCode(rawValue: "validation.receipt_refused")
    public static let validationUnitNotReceived = FieldErrorCode(rawValue: "validation.unit_not_received")
    public static let validationUnitAlreadyInspected = FieldErrorCode(rawValue: "validation.unit_already_inspected")
    public static let validationNotAnExchange = FieldErrorCode(rawValue: "validation.not_an_exchange")
    public static let validationReturnRejected = FieldErrorCode(rawValue: "validation.return_rejected")
    public static let validationReplenishmentAlreadyRequested = FieldErrorCode(rawValue: "validation.replenishment_already_requested")
    public static let validationReplenishmentNotApproved = FieldErrorCode(rawValue: "validation.replenishment_not_approved")
    public static let validationReplacementAlreadyConfirmed = FieldErrorCode(rawValue: "validation.replacement_already_confirmed")
    public static let validationNotCurrencyCode = FieldErrorCode(rawValue: "validation.not_currency_code")
    public static let validationNotCursor = FieldErrorCode(rawValue: "validation.not_cursor")
    public static let validationNotDate = FieldErrorCode(rawValue: "validation.not_date")
    public static let validationNotDecisionField = FieldErrorCode(rawValue: "validation.not_decision_field")
    public static let validationNotFinite = FieldErrorCode(rawValue: "validation.not_finite")
    public static let validationNotHqUser = FieldErrorCode(rawValue: "validation.not_hq_user")
    public static let validationNotPhoneNumber = FieldErrorCode(rawValue: "validation.not_phone_number")
    public static let validationNotPhotoHash = FieldErrorCode(rawValue: "validation.not_photo_hash")
    public static let validationNotTimestamp = FieldErrorCode(rawValue: "validation.not_timestamp")
    public static let validationNothingToUpdate = FieldErrorCode(rawValue: "validation.nothing_to_update")
    public static let validationOldPartNotKept = FieldErrorCode(rawValue: "validation.old_part_not_kept")
    public static let validationOldPartReturned = FieldErrorCode(rawValue: "validation.old_part_returned")
    public static let validationPageTooLarge = FieldErrorCode(rawValue: "validation.page_too_large")
    public static let validationPartLineRemoved = FieldErrorCode(rawValue: "validation.part_line_removed")
    public static let validationPeriodBeyondDates = FieldErrorCode(rawValue: "validation.period_beyond_dates")
    public static let validationPhotoAlreadyOnCase = FieldErrorCode(rawValue: "validation.photo_already_on_case")
    public static let validationPhotoNotImported = FieldErrorCode(rawValue: "validation.photo_not_imported")
    public static let validationPhotoNotOnCase = FieldErrorCode(rawValue: "validation.photo_not_on_case")
    public static let validationReceivedBeforePurchase = FieldErrorCode(rawValue: "validation.received_before_purchase")
    public static let validationRequired = FieldErrorCode(rawValue: "validation.required")
    public static let validationRequiredWithProofOfPurchase = FieldErrorCode(rawValue: "validation.required_with_proof_of_purchase")
    public static let validationSeveralCasesMatch = FieldErrorCode(rawValue: "validation.several_cases_match")
    public static let validationTooLong = FieldErrorCode(rawValue: "validation.too_long")
    public static let validationTripAlreadyWaiting = FieldErrorCode(rawValue: "validation.trip_already_waiting")
    public static let validationTripNotApproved = FieldErrorCode(rawValue: "validation.trip_not_approved")
    public static let validationUnknownLanguage = FieldErrorCode(rawValue: "validation.unknown_language")
    public static let validationPartsCatalog = FieldErrorCode(rawValue: "validation.parts_catalog")
    public static let validationOffCatalogNeedsReason = FieldErrorCode(rawValue: "validation.off_catalog_needs_reason")
    public static let validationLossAwaitingApproval = FieldErrorCode(rawValue: "validation.loss_awaiting_approval")
    public static let authorityNotPermitted = FieldErrorCode(rawValue: "authority.not_permitted")
    public static let cancelled = FieldErrorCode(rawValue: "cancelled")
    public static let conflictUnresolved = FieldErrorCode(rawValue: "conflict.unresolved")
    public static let lifecycleCaseAcknowledged = FieldErrorCode(rawValue: "lifecycle.case_acknowledged")
    public static let lifecycleCaseClosed = FieldErrorCode(rawValue: "lifecycle.case_closed")
    public static let lifecycleReturnOpen = FieldErrorCode(rawValue: "lifecycle.return_open")
    public static let lifecycleOldPartUnaccounted = FieldErrorCode(rawValue: "lifecycle.old_part_unaccounted")
    public static let lifecycleCaseCustomerConfirmed = FieldErrorCode(rawValue: "lifecycle.case_customer_confirmed")
    public static let lifecycleCaseDefectConfirmed = FieldErrorCode(rawValue: "lifecycle.case_defect_confirmed")
    public static let lifecycleCaseOnSite = FieldErrorCode(rawValue: "lifecycle.case_on_site")
    public static let lifecycleCaseRegistered = FieldErrorCode(rawValue: "lifecycle.case_registered")
    public static let lifecycleCaseReopened = FieldErrorCode(rawValue: "lifecycle.case_reopened")
    public static let lifecycleCaseResolved = FieldErrorCode(rawValue: "lifecycle.case_resolved")
    public static let lifecycleCaseVisitScheduled = FieldErrorCode(rawValue: "lifecycle.case_visit_scheduled")
    public static let lifecycleCaseWarrantyDecided = FieldErrorCode(rawValue: "lifecycle.case_warranty_decided")
    public static let lifecycleUnknownStatus = FieldErrorCode(rawValue: "lifecycle.unknown_status")
    public static let lifecycleWarrantyStale = FieldErrorCode(rawValue: "lifecycle.warranty_stale")
    public static let notFoundCase = FieldErrorCode(rawValue: "not_found.case")
    public static let notFoundEntry = FieldErrorCode(rawValue: "not_found.entry")
    public static let notFoundEvicted = FieldErrorCode(rawValue: "not_found.evicted")
    public static let notFoundFile = FieldErrorCode(rawValue: "not_found.file")
    public static let photoTooLarge = FieldErrorCode(rawValue: "photo.too_large")
    public static let photoUnreadable = FieldErrorCode(rawValue: "photo.unreadable")
    public static let photoUnsupportedFormat = FieldErrorCode(rawValue: "photo.unsupported_format")
    public static let storageCorruptDatabase = FieldErrorCode(rawValue: "storage.corrupt_database")
    public static let storageCorruptDocument = FieldErrorCode(rawValue: "storage.corrupt_document")
    public static let storageDatabase = FieldErrorCode(rawValue: "storage.database")
    public static let storageFileSystem = FieldErrorCode(rawValue: "storage.file_system")
    public static let storageNewerSchema = FieldErrorCode(rawValue: "storage.newer_schema")
    public static let syncInvalidDocument = FieldErrorCode(rawValue: "sync.invalid_document")
    public static let syncNetwork = FieldErrorCode(rawValue: "sync.network")
    public static let syncProtocol = FieldErrorCode(rawValue: "sync.protocol")
    public static let syncUnauthorized = FieldErrorCode(rawValue: "sync.unauthorized")
    public static let `internal` = FieldErrorCode(rawValue: "internal")
}

/// The user-facing text of an error (in the `setLocale` language) for alerts, and the stable
/// code of its reason for the app's own texts and logs: `validation.negative`,
/// `lifecycle.case_closed`, `authority.not_permitted`, `sync.network`, ... (every code with its
/// Chinese and English message is in docs/mobile.md; the same strings as `SyncFailure.code`).
/// Each case carries its code; `Cancelled`'s is `cancelled`.
extension FieldError: LocalizedError {
    /// The code as a typed value, to compare with the declared constants.
    public var errorCode: FieldErrorCode { FieldErrorCode(rawValue: code) }

    public var code: String {
        switch self {
        case let .Validation(_, _, code): return code
        case let .UpdateRequired(_, code): return code
        case let .NotFound(_, code): return code
        case let .Evicted(_, _, code): return code
        case let .Conflict(_, _, code): return code
        case let .Storage(_, code): return code
        case let .Network(_, code): return code
        case let .Unauthorized(_, code): return code
        case .Cancelled: return FieldErrorCode.cancelled.rawValue
        case let .UnsupportedInput(_, code): return code
        case let .Internal(_, code): return code
        }
    }

    public var errorDescription: String? {
        switch self {
        case let .Validation(_, reason, _): return reason
        case let .UpdateRequired(reason, _): return reason
        case let .NotFound(reason, _): return reason
        case let .Evicted(_, reason, _): return reason
        case let .Conflict(_, reason, _): return reason
        case let .Storage(reason, _): return reason
        case let .Network(reason, _): return reason
        case let .Unauthorized(reason, _): return reason
        case .Cancelled: return currentLocale() == .zhCn ? "已取消" : "Cancelled"
        case let .UnsupportedInput(reason, _): return reason
        case let .Internal(reason, _): return reason
        }
    }
}

/// Adapts a closure to the library's `ProgressListener`.
final class ProgressRelay: ProgressListener, @unchecked Sendable {
    private let handler: @Sendable (ProgressUpdate) -> Void

    init(_ handler: @escaping @Sendable (ProgressUpdate) -> Void) {
        self.handler = handler
    }

    func onProgress(progress: ProgressUpdate) {
        handler(progress)
    }
}

/// Where FieldCore's files live on iOS.
public enum FieldCoreFiles {
    /// `Application Support/FieldCore/fieldcore.db`, created if missing and excluded from
    /// iCloud and iTunes backups (a restored copy would carry another device's identity and
    /// unsynced work). Photos go to `fieldcore.db.blobs/` in the same excluded folder.
    public static func databaseURL(name: String = "fieldcore.db") throws -> URL {
        var folder = try FileManager.default
            .url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent("FieldCore", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try folder.setResourceValues(values)
        return folder.appendingPathComponent(name)
    }
}
