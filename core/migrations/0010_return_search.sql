-- The RMA numbers of a case's returns join the free-text search (ADR 0019): a warehouse
-- tablet finds the case by the number on the goods, scanned or typed. The column holds the
-- numbers separated by spaces ('' for a case without any); the trigram index is rebuilt with
-- it, as in migration 0008.
ALTER TABLE cases ADD COLUMN rma_numbers TEXT NOT NULL DEFAULT '';

DROP TRIGGER cases_search_insert;
DROP TRIGGER cases_search_delete;
DROP TRIGGER cases_search_update;
DROP TABLE cases_search;

CREATE VIRTUAL TABLE cases_search USING fts5(
    number, customer_name, serial_number, customer_phone, phone_digits, rma_numbers,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);

CREATE TRIGGER cases_search_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_search (rowid, number, customer_name, serial_number, customer_phone,
        phone_digits, rma_numbers)
    VALUES (new.rowid, new.number, new.customer_name, new.serial_number, new.customer_phone,
        replace(replace(replace(replace(replace(new.customer_phone, ' ', ''), '-', ''), '+', ''),
            '(', ''), ')', ''), new.rma_numbers);
END;

CREATE TRIGGER cases_search_delete AFTER DELETE ON cases BEGIN
    DELETE FROM cases_search WHERE rowid = old.rowid;
END;

CREATE TRIGGER cases_search_update AFTER UPDATE OF number, customer_name, serial_number,
    customer_phone, rma_numbers ON cases BEGIN
    DELETE FROM cases_search WHERE rowid = old.rowid;
    INSERT INTO cases_search (rowid, number, customer_name, serial_number, customer_phone,
        phone_digits, rma_numbers)
    VALUES (new.rowid, new.number, new.customer_name, new.serial_number, new.customer_phone,
        replace(replace(replace(replace(replace(new.customer_phone, ' ', ''), '-', ''), '+', ''),
            '(', ''), ')', ''), new.rma_numbers);
END;

INSERT INTO cases_search (rowid, number, customer_name, serial_number, customer_phone,
    phone_digits, rma_numbers)
SELECT rowid, number, customer_name, serial_number, customer_phone,
    replace(replace(replace(replace(replace(customer_phone, ' ', ''), '-', ''), '+', ''), '(', ''),
        ')', ''), rma_numbers
FROM cases;
