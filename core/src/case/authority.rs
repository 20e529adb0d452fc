//! Which fields of a case document one automerge change writes, read from its operations, and
//! whether its author may write them ([`crate::rules::authority`] holds the table). HQ runs this
//! on every pushed change; the device runs it on its own change before storing a command.

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{Automerge, Change, ObjType, Prop, ReadDoc};

use crate::rules::authority::{Author, Writer, may_write, writer_of};

/// A field: a root key of the document and, below it, the key written (if any).
pub type FieldPath = (String, Option<String>);

/// The fields `change` writes, resolved against `doc`, which must already hold the change
/// (objects the change creates are found there too). Ops on list elements or on objects
/// deeper than a root key's map count as writing the root key's entry they sit under.
pub fn fields_written(doc: &Automerge, change: &Change) -> Result<Vec<FieldPath>, String> {
    let mut fields: Vec<FieldPath> = Vec::new();
    for op in change.decode().operations {
        let key = match &op.key {
            Key::Map(key) => Some(key.to_string()),
            Key::Seq(_) => None,
        };
        // Making an empty container map under a root key is the document's layout, the same
        // in every case (`register` makes all of them), not content: only what goes into the
        // container is someone's to write. HQ's own root keys stay HQ's even as containers.
        let layout = matches!(op.action, OpType::Make(ObjType::Map))
            && op.obj == ObjectId::Root
            && key
                .as_deref()
                .is_some_and(|k| writer_of(k, None) != Writer::Hq);
        if layout {
            continue;
        }
        let field = match &op.obj {
            ObjectId::Root => match key {
                Some(root) => (root, None),
                None => return Err("an operation on the document root that is not a key".into()),
            },
            ObjectId::Id(id) => {
                let obj = doc
                    .import_obj(&id.to_string())
                    .map_err(|_| format!("an operation on object {id}, which the case lacks"))?;
                let path = doc
                    .parents(&obj)
                    .map_err(|_| format!("object {id} is not in the case"))?
                    .path();
                let name = |prop: &Prop| match prop {
                    Prop::Map(key) => Some(key.clone()),
                    Prop::Seq(_) => None,
                };
                let root = path
                    .first()
                    .and_then(|(_, prop)| name(prop))
                    .ok_or_else(|| format!("object {id} is not under a root key"))?;
                let inner = match path.get(1) {
                    Some((_, prop)) => name(prop),
                    None => key,
                };
                (root, inner)
            }
        };
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    Ok(fields)
}

/// Refuses `change` if it writes a field its author may not write, naming the field.
pub fn check_change_authority(
    doc: &Automerge,
    change: &Change,
    author: Author,
) -> Result<(), String> {
    for (root, key) in fields_written(doc, change)? {
        may_write(author, &root, key.as_deref())?;
    }
    Ok(())
}
