//! FieldCore: the offline engine a field engineer's phone runs for a whole service visit.
//!
//! Data flows one way: a [`Command`] is checked by the pure rules (`rules/`: validation, the
//! lifecycle, 三包 warranty, deadlines), written as one automerge change to the case's document
//! (`case/`), and stored by the [`Store`] (`store/`) together with its query projection and an
//! outbox entry in one SQLite transaction. Screens read lists from the projection and a case's
//! detail as a [`CaseView`]. Photos (`photo/`) are processed and stored beside the database;
//! sync (`sync/`) carries the outbox to HQ and merges what HQ sends back.
//!
//! The modules are private; everything an app, HQ or a test may use is listed below.

mod case;
mod codes;
mod error;
mod labels;
mod locale;
mod model;
mod photo;
mod rules;
mod stock;
mod store;
mod sync;
#[cfg(feature = "testing")]
pub mod testing;

// The vocabulary of a case.
pub use model::{
    CaseId, CaseStatus, Cause, Channel, Charge, ConfirmationInput, CustomerRequest, DefectInput,
    FactsCorrection, FactsUpdate, GpsPosition, Market, Measurement, Outcome, PartInput, PhotoKind,
    ProofOfPurchase, Registration, Status, Timestamp,
};

// The rules, pure.
pub use rules::authority::{Author, Role, Writer, may_write, writer_of};
pub use rules::calendar::{
    CalendarYear, Counted as CountedWorkingDays, DayKind, Fallback as CalendarFallback, Holiday,
    WorkingCalendar,
};
pub use rules::company_time::CompanyTimeZone;
pub use rules::custody::{
    CustodyEntry, CustodyMark, LossDecision, OldPartCustody, PartCustody,
    custody as old_part_custody,
};
pub use rules::deadlines::{
    CloseRule, DeadlineInputs, DeadlinePolicy, Due, Milestone, WorkingDaysDue,
    due_at as deadline_due_at, far_future as far_future_deadline, is_overdue,
    missed as missed_deadlines, next_due as next_deadline, pending as pending_deadlines,
    working_days_due,
};
pub use rules::lifecycle::{Action, Step, allowed_actions, next_status};
pub use rules::parts_catalog::{CatalogFit, CatalogPart, CatalogProblem, PartsCatalog};
pub use rules::policy::{EscalationPolicy, PhotoPolicy, Policies, TripPolicy};
pub use rules::quarter::Quarter;
pub use rules::returns::{
    Arrival, ChainState, ChainStep, CheckReason, Counted as CountedGoods, Notice as ReturnNotice,
    Packing, Raised as RaisedByGoods, ReceivingCheck, ReturnPolicy, StepDecision, WindowCheck,
    chain_state, format_rma_number, is_batch as is_batch_return, receiving_checks,
    reinspection_last_day, window as return_window,
};
pub use rules::stock::{BalanceInput, PartBalance, PartsPolicy, balances, booking};
pub use rules::validate::registration as validate_registration;
pub use rules::warranty::{
    WarrantyDecision, WarrantyGrounds, WarrantyInput, WarrantyPolicy, WarrantyRule,
    decide as decide_warranty, period_end as warranty_period_end,
};
pub use rules::writeoff::{
    CaseLine, CaseParts, Discrepancy, DiscrepancyKind, IssuedPart, LineStatus, MissingWhy, OldPart,
    ReceivedOldPart, ReconciledLine, Reconciliation, Totals as WriteoffTotals, WriteoffInput,
    parse_yuan, reconcile as reconcile_writeoff, yuan_text,
};
pub use stock::commands::{StockCommand, money as check_money};
pub use stock::document::{
    DEVICE_MAPS as LEDGER_DEVICE_MAPS, HQ_MAPS as LEDGER_HQ_MAPS, LedgerRoot,
    genesis as ledger_genesis, keys as ledger_keys, open_new as open_new_ledger,
    put_entry as put_ledger_entry,
};
pub use stock::holder::{
    Holder, HolderKind, NotHolder, is_ledger_actor, is_ledger_id, ledger_actor, ledger_id,
};
pub use stock::records::{
    Closing, Movement, MovementKind, Requisition, Shipment, ShipmentCheck, ShippedPart,
};
pub use stock::view::{
    Approval as StockApproval, LedgerView, MovementEntry, RequisitionEntry, ShipmentEntry,
    read as read_ledger,
};
pub use store::ledgers::{HeldLedger, StockRecorded};

// A case: its document, records, view and commands.
pub use case::authority::{FieldPath, check_change_authority, fields_written};
pub use case::change::{execute_on_document, register as new_case_document};
pub use case::check::{CheckError, check_case, read_case};
pub use case::commands::{Applied, Command, Context};
pub use case::correction::{StaleFact, StaleWarranty, WARRANTY_FACTS, WarrantyFacts};
pub use case::correction_text::{CorrectionText, FactLabel, StaleStep};
pub use case::document::{
    APPROVALS, Collection, DecisionField, ESCALATIONS, RETURN_CONTAINERS, RMA,
    SCHEMA_VERSION as DOCUMENT_SCHEMA_VERSION, add_return_containers, case_id_of, check_schema,
    commit_options, number_of, put_accepted, put_decision_key_json, put_hq_entry, put_number,
    read_collection,
};
pub use case::plan_deadlines::{DeadlineRefusal, missed_records};
pub use case::records::{
    Acknowledgement, AgreedDeadlineRecord, ApprovalRecord, ConfirmationBody, CorrectionRecord,
    Decided, DefectRecord, Entry, EscalationKind, EscalationRecord, EventBody, FactChange,
    Handover, MissedRecord, NoteBody, PartBody, PhotoAttachment, PhotoRecord, PhotoRemoval,
    QaHandoverRecord, RemedyRecord, ReportRecord, ResolutionRecord, RoundBody, Stamp, UsedPart,
    VisitBody, WarrantyRecord,
};
pub use case::return_records::{
    CheckNote, CountedItem, Freight, InspectionBody, InspectionResult, ReceiptAmendment,
    ReceiptBody, ReceiptInput, ReceiptOutcome, ReturnBody, ReturnItem, ReturnKind,
    ReturnRequestInput, RmaRecord,
};
pub use case::returns::{
    AnalysisView, RaisedCheck, ReceiptView, ReplenishmentView, ReturnState, ReturnView, StepView,
};
pub use case::summary::{Summary, history_text};
pub use case::text::{
    CaseTextExtras, case_text, dimensions as photo_dimensions, due_text, label_padded, money_text,
    name as snake_name, photo_line, short_hash, status_text as case_status_text, text_width,
    time_text, truncate as truncate_text,
};
pub use case::view::{
    CasePhoto, CaseView, ConcurrentFact, ConflictAlternative, ConflictView, DecisionView,
    LOSS as LOSS_APPROVAL, PartLine, UnknownContent, build as build_view,
};

// The device's store.
pub use store::evict::{DEFAULT_EVICTION_AGE_DAYS, EvictedCase, Eviction};
pub use store::migrations::LATEST as STORE_SCHEMA_VERSION;
pub use store::projection::{ProjectionRow, row_of as projection_row_of};
pub use store::query::{CaseCounts, DEFAULT_PAGE, ListQuery, ListRow, MAX_PAGE, Page, SortOrder};
pub use store::{Clock, Merged, Reader, Store, write_file_atomically};

// Photos.
pub use photo::import::{Collected, PhotoInfo, UploadState};
pub use photo::pipeline::{
    PlatformPixels, ProcessedPhoto, process as process_photo, process_pixels, sha256_hex,
};
#[doc(hidden)]
pub use photo::pipeline::{Resizer, StageTimings, process_profiled, process_with};
pub use photo::text::PhotoText;

// Sync: the protocol's messages (shared with HQ), the round, the transport.
pub use sync::driver::{StoreAccess, SyncEvent, drive_sync, fetch_blob_shared, sync_shared};
pub use sync::protocol::{
    AckOutcome, ByteBuf, CONTENT_TYPE, CasePull, CasePush, ErrorBody, MAX_BLOB_BYTES,
    MAX_CASE_BYTES, MAX_MESSAGE_BYTES, MAX_PULL_CASES, PROTOCOL_VERSION, Payload, ReferenceData,
    RejectReason, SyncRequest, SyncResponse, decode as decode_message, encode as encode_message,
};
pub use sync::round::{CaseSyncState, PushPlan, RoundOutcome};
pub use sync::standing::{SyncFailure, SyncStanding};
pub use sync::transport::{
    CancelToken, HttpTransport, SyncConfig, SyncProgress, SyncReport, Transport,
};

pub use codes::{FAILURE_CODES, INTERNAL_CODE, VALIDATION_CODES, all_codes};
pub use error::{Error, FIELD_LABELS, Invalid, Result, field_label};
pub use labels::{EVENT_ACTIONS, event_action_text, quality_fault_text};
pub use locale::{Locale, Localized};
