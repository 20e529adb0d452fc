-- Free-text search over a case's number, customer, serial number and phone (ADR 0018): an
-- FTS5 index with the trigram tokenizer, so any run of three or more characters matches
-- wherever it occurs, Chinese names and digit runs alike, without a word tokenizer that
-- Chinese text lacks. Contentless (the text lives in `cases`) with deletes allowed, kept in
-- step with `cases` by triggers. The phone is indexed twice: as written and with its
-- separators removed, so `13800138000` finds `+86 138-0013-8000`.
CREATE VIRTUAL TABLE cases_search USING fts5(
    number, customer_name, serial_number, customer_phone, phone_digits,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);

CREATE TRIGGER cases_search_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_search (rowid, number, customer_name, serial_number, customer_phone,
        phone_digits)
    VALUES (new.rowid, new.number, new.customer_name, new.serial_number, new.customer_phone,
        replace(replace(replace(replace(replace(new.customer_phone, ' ', ''), '-', ''), '+', ''),
            '(', ''), ')', ''));
END;

CREATE TRIGGER cases_search_delete AFTER DELETE ON cases BEGIN
    DELETE FROM cases_search WHERE rowid = old.rowid;
END;

CREATE TRIGGER cases_search_update AFTER UPDATE OF number, customer_name, serial_number,
    customer_phone ON cases BEGIN
    DELETE FROM cases_search WHERE rowid = old.rowid;
    INSERT INTO cases_search (rowid, number, customer_name, serial_number, customer_phone,
        phone_digits)
    VALUES (new.rowid, new.number, new.customer_name, new.serial_number, new.customer_phone,
        replace(replace(replace(replace(replace(new.customer_phone, ' ', ''), '-', ''), '+', ''),
            '(', ''), ')', ''));
END;

INSERT INTO cases_search (rowid, number, customer_name, serial_number, customer_phone,
    phone_digits)
SELECT rowid, number, customer_name, serial_number, customer_phone,
    replace(replace(replace(replace(replace(customer_phone, ' ', ''), '-', ''), '+', ''), '(', ''),
        ')', '')
FROM cases;

-- The "due soon" order: earliest next deadline first, cases without one last, ties by id.
CREATE INDEX cases_by_next_due ON cases (next_due_ms, case_id);
-- Tab badges count per status without touching the rows.
CREATE INDEX cases_by_status_due ON cases (status, next_due_ms);
