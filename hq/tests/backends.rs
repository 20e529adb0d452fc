//! Runs the HQ suite (suite/mod.rs) against each storage backend: the embedded SQLite
//! database and PostgreSQL (FIELDHQ_TEST_PG_URL, set by tests/run.sh; without it the
//! PostgreSQL tests fail and say so). The tests of blob users run once more with the blobs
//! in S3-compatible object storage (FIELDHQ_TEST_S3_URL, set by tests/run.sh; without it
//! they are skipped, unless FIELDHQ_REQUIRE_S3 is set), as do the archive's tests with the
//! archive in S3.

mod common;
mod suite;

macro_rules! backend_suite {
    ($backend:ident: $($test:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                crate::suite::$test(crate::common::Backend::$backend).await;
            }
        )*
    };
}

macro_rules! suites {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            backend_suite!(Sqlite: $($test),*);
        }
        mod postgres {
            backend_suite!(Postgres: $($test),*);
        }
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_empty_sync_does_not_wait_for_a_push_in_progress() {
    crate::suite::an_empty_sync_does_not_wait_for_a_push_in_progress().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_push_waits_only_for_a_push_of_the_same_case() {
    crate::suite::a_push_waits_only_for_a_push_of_the_same_case().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_big_push_writes_its_bytes_before_the_log_lock() {
    crate::suite::a_big_push_writes_its_bytes_before_the_log_lock().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_database_error_names_its_cause_but_no_values() {
    crate::suite::a_database_error_names_its_cause_but_no_values().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_instance_keeps_to_its_database_connections() {
    crate::suite::an_instance_keeps_to_its_database_connections().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_push_whose_pulls_fail_after_its_commit_is_still_acknowledged() {
    crate::suite::a_push_whose_pulls_fail_after_its_commit_is_still_acknowledged().await;
}

/// The blob users' tests again, their HQ keeping its blobs in the tests' S3 server (on
/// SQLite: where the rows are is the suite's other axis).
macro_rules! s3_suite {
    ($($test:ident),* $(,)?) => {
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    crate::common::with_s3_blobs(crate::suite::$test(
                        crate::common::Backend::Sqlite,
                    ))
                    .await;
                }
            )*
        }
    };
}

s3_suite!(
    blobs_are_verified_idempotent_and_served,
    a_wrong_body_is_refused_and_nothing_becomes_visible,
    a_large_photo_streams_up_and_down_once,
    a_blob_is_served_only_to_devices_that_may_see_a_case_naming_it,
    uploads_no_case_names_are_capped_per_device_and_removed_after_the_grace_period,
    a_reindex_records_the_blobs_of_cases_stored_before_the_upgrade,
    console_lists_filters_and_shows_cases_with_their_photos,
    the_forms_print_as_html_and_pdf_with_the_number,
    a_writeoff_is_approved_once_by_its_roles_and_its_voucher_archived,
    closed_cases_are_archived_to_s3_and_restored,
);

/// `fieldhq archive --to s3://…` and `archive restore --from s3://…` through the binary
/// (skipped without the tests' S3 server, unless FIELDHQ_REQUIRE_S3 is set).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_commands_take_an_s3_location() {
    crate::suite::the_archive_commands_take_an_s3_location().await;
}

/// `fieldhq serve --blobs s3://…` without credentials in its environment does not start, and
/// says which variables to set, in the language asked for.
#[test]
fn serve_without_s3_credentials_stops_at_start_up_naming_the_variables() {
    let dir = tempfile::tempdir().unwrap();
    for (lang, expected) in [("en", "no credentials were given"), ("zh-CN", "未提供凭证")] {
        let output = crate::common::fieldhq_command(dir.path())
            .args(["--lang", lang, "serve", "--addr", "127.0.0.1:0"])
            .args([
                "--blobs",
                "s3://photos/hq",
                "--s3-endpoint",
                "http://127.0.0.1:9",
            ])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("FIELDHQ_BLOBS")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            stderr.contains("AWS_ACCESS_KEY_ID") && stderr.contains("AWS_SECRET_ACCESS_KEY"),
            "{stderr}"
        );
    }
}

/// HQ asks the bucket once at start-up: wrong credentials stop it there, with the reason,
/// not at the first photo a device uploads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_wrong_s3_credentials_stops_at_start_up() {
    let Some(mut s3) = crate::common::test_s3_config() else {
        return;
    };
    s3.secret_access_key = fieldhq::blob_s3::Secret("not-the-secret".into());
    let dir = tempfile::tempdir().unwrap();
    let mut config = fieldhq::ServeConfig::new("127.0.0.1:0".parse().unwrap(), dir.path());
    config.blobs = Some(fieldhq::blobs::BlobLocation::S3(s3));
    let Err(refused) = fieldhq::serve(config).await else {
        panic!("HQ started with wrong credentials");
    };
    assert!(
        refused
            .to_string()
            .contains("does not answer with the credentials given"),
        "{refused}"
    );
}

suites!(
    a_wrong_body_is_refused_and_nothing_becomes_visible,
    a_large_photo_streams_up_and_down_once,
    a_backup_taken_while_serving_restores_and_devices_sync_on,
    closed_cases_are_archived_answered_archived_and_restored,
    closed_cases_are_archived_to_s3_and_restored,
    the_report_counts_a_generated_year,
    a_late_case_amends_the_issued_month_and_joins_the_next_report,
    a_bad_shipments_file_is_refused_whole,
    console_sign_in_sets_a_guarded_session_kept_in_the_database,
    console_sign_in_locks_a_name_out_after_repeated_failures,
    console_sessions_expire,
    console_cookies_are_secure_behind_a_tls_proxy,
    console_pages_refuse_the_roles_that_may_not_see_them,
    console_forms_need_the_csrf_token_and_call_the_commands_functions,
    console_revokes_a_lost_phone_for_customer_service_only,
    console_lists_filters_and_shows_cases_with_their_photos,
    console_passwords_are_set_with_the_user_commands,
    console_decides_a_trip_and_acknowledges_an_escalation,
    console_decides_an_old_part_loss_on_the_cases_page,
    console_inbox_lists_trips_and_losses_for_their_roles_and_decides_them,
    console_searches_through_the_index_and_pages_by_key,
    console_shows_issues_reopens_and_exports_the_monthly_report,
    requisitions_are_approved_by_their_role_and_issued_once,
    old_part_shipments_are_checked_once_against_their_list,
    ledger_entries_are_immutable_and_only_the_holder_writes_them,
    health_needs_no_token,
    missing_wrong_and_revoked_tokens_are_refused,
    first_sync_binds_the_actor_and_others_are_refused,
    a_change_authored_by_another_devices_actor_is_refused,
    no_device_may_bind_hqs_own_actor,
    writing_a_case_the_user_may_not_see_is_refused,
    an_oversized_body_is_refused,
    decompression_bombs_are_refused_before_they_inflate,
    a_reused_actor_sequence_number_is_refused,
    a_device_may_not_write_hqs_number,
    a_new_case_without_its_registration_is_refused,
    each_kind_of_bad_change_is_refused_for_its_case_alone,
    role_owned_fields_follow_the_authority_table,
    pushes_past_the_load_budget_are_left_for_later,
    a_stale_cached_copy_is_caught_up_and_never_trusted,
    hundreds_of_pushes_are_each_tried_once_ahead,
    span_changes_within_reads_only_what_fits,
    malformed_bodies_are_refused_and_nothing_is_applied,
    an_unsupported_version_is_refused,
    push_and_pull_between_two_devices,
    need_full_then_the_document_repairs,
    want_full_sends_the_whole_history,
    a_replayed_request_changes_nothing,
    numbers_are_unique_and_gap_free_under_concurrent_first_syncs,
    numbers_follow_the_month_the_complaint_was_received,
    hq_stamps_its_acceptance_on_first_receipt,
    each_role_receives_only_the_cases_it_may_see,
    an_assignment_appears_in_the_next_pull_as_a_document,
    pulls_page_with_more_and_the_cursor,
    a_big_case_is_pulled_in_pages,
    a_device_holding_a_big_case_gets_the_rest_as_changes_in_pages,
    want_full_of_a_big_case_pages_too,
    a_lost_page_is_repaired,
    many_small_cases_pack_into_one_response,
    reference_data_is_delivered_once_per_version,
    blobs_are_verified_idempotent_and_served,
    a_blob_is_served_only_to_devices_that_may_see_a_case_naming_it,
    uploads_no_case_names_are_capped_per_device_and_removed_after_the_grace_period,
    a_reindex_records_the_blobs_of_cases_stored_before_the_upgrade,
    shutdown_is_graceful_and_data_survives_a_restart,
    migrations_apply_step_by_step_and_refuse_a_newer_database,
    many_new_cases_apply_in_bulk,
    the_read_model_follows_pushes_assignments_and_routes,
    case_list_filters_overdue_status_month_and_model,
    reindex_rebuilds_exactly_the_rows_the_syncs_wrote,
    case_show_prints_the_number_and_status,
    the_cli_lists_shows_and_reindexes,
    the_admin_commands_print_in_chinese_and_in_english,
    batch_faults_escalate_at_the_threshold_within_the_window,
    batches_are_counted_apart_and_a_major_incident_escalates_at_once,
    two_hq_nodes_raise_one_escalation,
    overdue_cases_escalate_to_the_supervisor_after_the_delay,
    arriving_needs_an_approved_trip_when_the_policy_says_so,
    the_first_responder_is_handed_over_with_a_reason,
    a_first_responder_hq_does_not_know_is_rejected,
    hq_records_a_missed_deadline_nobody_noticed,
    the_return_chain_is_decided_in_order_by_its_roles,
    a_rejection_ends_the_request_and_the_requester_sees_why,
    rma_numbers_are_gap_free_under_concurrent_approvals,
    devices_may_not_write_receipts_or_hqs_return_records,
    hq_adds_the_return_containers_to_an_older_case,
    the_forms_print_as_html_and_pdf_with_the_number,
    the_rma_commands_decide_list_and_print_in_both_languages,
    a_writeoff_is_approved_once_by_its_roles_and_its_voucher_archived,
    a_quarters_run_of_every_holder_records_each_and_reports_the_refused,
    only_a_cs_manager_decides_an_old_part_loss,
    a_malformed_parts_catalog_is_not_published,
);

/// The benchmark's baseline route exists only in builds with the `bench-baseline` feature
/// (the workspace build has it through fieldbench; `fieldhq serve` alone does not).
#[cfg(feature = "bench-baseline")]
mod naive_baseline {
    suites!(naive_per_case_sync_round_trips_under_the_same_rules);
}
