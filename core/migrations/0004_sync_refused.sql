-- Cases whose pushed work HQ refused because this device's user may no longer write them
-- (re-routed to another repair center, reassigned to another engineer). Their outbox entries
-- stay on the device, never deleted; they are not pushed again until HQ sends the case to
-- this device again (it was routed back), which removes the row.
CREATE TABLE sync_refused (
    case_id TEXT PRIMARY KEY,
    refused_at TEXT NOT NULL
);
