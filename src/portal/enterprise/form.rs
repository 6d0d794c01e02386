//! A permit type's form as a page: the fields of the type (`FieldDef`) rendered as controls,
//! read back from the posted fields into the JSON form the use cases take, and rows of a list
//! added or removed without JavaScript (a submit button that re-renders the form with what was
//! typed kept).
//!
//! Control names: `f.<key>` for a value, `f.<key>` repeated for a list of enum codes
//! (checkboxes), `f.<key>[i]` for a row of a list of values, `f.<key>[i].<sub>` for a cell of
//! a list of objects, and `rows.<key>` (hidden) for the number of rows shown.

use serde_json::{Map, Number, Value};

use super::super::page::{Ctx, Form, Problems};
use super::{Problem, id_of, message, messages_of};
use crate::permits::domain::{FieldDef, FieldType};

/// The training certificates the enterprise has filed (`safety_training_filing`), offered as
/// the choice for the form's certificate-number fields.
#[derive(Debug, Clone)]
pub struct Filed {
    pub role: String,
    pub cert_no: String,
    pub person_name: String,
    pub expires_on: String,
}

/// The form fields that name a training certificate, and the role each must be filed for.
const TRAINING_FIELDS: [(&str, &str); 2] = [
    ("principal_cert_no", "principal"),
    ("safety_manager_cert_no", "safety_manager"),
];

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Cell {
    pub name: String,
    pub id: String,
    pub label: String,
    pub kind: String,
    pub value: String,
    pub errors: Vec<String>,
}

pub struct Row {
    pub index: usize,
    pub cells: Vec<Cell>,
    pub errors: Vec<String>,
}

/// One field as the page shows it. `kind`: `text`, `integer`, `decimal`, `date`, `bool`,
/// `enum`, `choice` (a filed certificate), `checks` (a list of enum codes), `rows` (a list of
/// values or of objects).
pub struct FieldView {
    pub key: String,
    pub name: String,
    pub id: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub value: String,
    pub options: Vec<Opt>,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub errors: Vec<String>,
    pub hint: String,
}

/// A field's label in the page's language: the permit type's own (Chinese) label, or in English
/// the catalog's label for its key when there is one.
pub fn label_of(c: &Ctx, def: &FieldDef) -> String {
    match c.t.lang {
        super::super::i18n::Lang::Zh => def.label.clone(),
        super::super::i18n::Lang::En => c.t.t_or(&format!("e-label-{}", def.key), &def.label),
    }
}

/// A value as a control shows it.
fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn enum_options(c: &Ctx, values: &[String], current: &[String]) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: v.clone(),
            label: c.t.t_or(&format!("e-value-{v}"), v),
            selected: current.iter().any(|x| x == v),
        })
        .collect()
}

fn scalar_kind(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Integer => "integer",
        FieldType::Decimal => "decimal",
        FieldType::Date => "date",
        FieldType::Bool => "bool",
        FieldType::Enum => "enum",
        FieldType::Text | FieldType::List => "text",
    }
}

/// The constraints of a field in words, beside it.
fn hint_of(c: &Ctx, f: &FieldDef) -> String {
    let k = &f.constraints;
    let mut parts = Vec::new();
    match f.kind {
        FieldType::Text => {
            if let (Some(min), Some(max)) = (k.min_length, k.max_length) {
                parts.push(c.t1("e-hint-length", "range", &format!("{min}–{max}")));
            }
            if let Some(fmt) = k.format {
                parts.push(match fmt {
                    crate::permits::domain::TextFormat::CasNo => c.t("e-hint-cas"),
                    crate::permits::domain::TextFormat::CertificateNo => c.t("e-hint-certificate"),
                });
            }
        }
        FieldType::Integer | FieldType::Decimal => {
            if let Some(gt) = k.gt {
                parts.push(c.t1("e-hint-gt", "n", &gt.to_string()));
            }
            if let Some(min) = k.min {
                parts.push(c.t1("e-hint-min", "n", &min.to_string()));
            }
            if let Some(max) = k.max {
                parts.push(c.t1("e-hint-max", "n", &max.to_string()));
            }
        }
        FieldType::Date => parts.push(c.t("e-hint-date")),
        FieldType::List => {
            if let Some(min) = k.min_items.filter(|m| *m > 0) {
                parts.push(c.t1("e-hint-min-items", "n", &min.to_string()));
            }
        }
        FieldType::Bool | FieldType::Enum => {}
    }
    parts.join("；")
}

fn cell(
    c: &Ctx,
    problems: &Problems,
    name: String,
    path: String,
    def: &FieldDef,
    value: Option<&Value>,
) -> Cell {
    Cell {
        id: id_of(&name),
        label: label_of(c, def),
        kind: scalar_kind(def.kind).to_owned(),
        value: text_of(value),
        errors: messages_of(c, problems, &path),
        name,
    }
}

/// The views of `fields` showing `form` (what was saved or typed), with the problems beside
/// their fields; `filed` offers the training certificates as a choice.
pub fn views(
    c: &Ctx,
    fields: &[FieldDef],
    form: &Value,
    problems: &Problems,
    filed: &[Filed],
) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| {
            let name = format!("f.{}", f.key);
            let path = format!("form.{}", f.key);
            let value = form.get(&f.key);
            let k = &f.constraints;
            let mut view = FieldView {
                key: f.key.clone(),
                id: id_of(&name),
                name: name.clone(),
                label: label_of(c, f),
                kind: scalar_kind(f.kind).to_owned(),
                required: f.required,
                value: text_of(value),
                options: Vec::new(),
                columns: Vec::new(),
                rows: Vec::new(),
                errors: messages_of(c, problems, &path),
                hint: hint_of(c, f),
            };
            match f.kind {
                FieldType::Enum => {
                    view.options = enum_options(
                        c,
                        k.values.as_deref().unwrap_or_default(),
                        &[text_of(value)],
                    );
                }
                FieldType::List
                    if k.item_fields.is_none() && k.item_type == Some(FieldType::Enum) =>
                {
                    view.kind = "checks".into();
                    let chosen: Vec<String> = value
                        .and_then(Value::as_array)
                        .map(|a| a.iter().map(|v| text_of(Some(v))).collect())
                        .unwrap_or_default();
                    view.options =
                        enum_options(c, k.values.as_deref().unwrap_or_default(), &chosen);
                    // A problem of one code shows beside the whole group.
                    view.errors.extend(
                        problems
                            .items
                            .iter()
                            .filter(|e| e.field.starts_with(&format!("{path}[")))
                            .map(|e| message(c, &e.code, &e.message)),
                    );
                }
                FieldType::List => {
                    view.kind = "rows".into();
                    let items: Vec<Value> =
                        value.and_then(Value::as_array).cloned().unwrap_or_default();
                    // A list of objects starts with one empty row to fill in.
                    let items = if items.is_empty() && k.item_fields.is_some() {
                        vec![Value::Object(Map::new())]
                    } else {
                        items
                    };
                    match &k.item_fields {
                        Some(subs) => {
                            view.columns = subs.iter().map(|s| label_of(c, s)).collect();
                            view.rows = items
                                .iter()
                                .enumerate()
                                .map(|(i, item)| Row {
                                    index: i,
                                    cells: subs
                                        .iter()
                                        .map(|s| {
                                            cell(
                                                c,
                                                problems,
                                                format!("{name}[{i}].{}", s.key),
                                                format!("{path}[{i}].{}", s.key),
                                                s,
                                                item.get(&s.key),
                                            )
                                        })
                                        .collect(),
                                    errors: messages_of(c, problems, &format!("{path}[{i}]")),
                                })
                                .collect();
                        }
                        None => {
                            let item_def = FieldDef {
                                key: f.key.clone(),
                                label: label_of(c, f),
                                kind: k.item_type.unwrap_or(FieldType::Text),
                                required: true,
                                constraints: Default::default(),
                            };
                            view.columns = vec![label_of(c, f)];
                            view.rows = items
                                .iter()
                                .enumerate()
                                .map(|(i, item)| Row {
                                    index: i,
                                    cells: vec![cell(
                                        c,
                                        problems,
                                        format!("{name}[{i}]"),
                                        format!("{path}[{i}]"),
                                        &item_def,
                                        Some(item),
                                    )],
                                    errors: Vec::new(),
                                })
                                .collect();
                        }
                    }
                }
                FieldType::Text => {
                    if let Some((_, role)) = TRAINING_FIELDS.iter().find(|(key, _)| *key == f.key) {
                        let current = text_of(value);
                        let mine: Vec<&Filed> = filed.iter().filter(|x| x.role == *role).collect();
                        if !mine.is_empty() {
                            view.kind = "choice".into();
                            view.options = mine
                                .iter()
                                .map(|x| Opt {
                                    value: x.cert_no.clone(),
                                    label: format!(
                                        "{} · {} · {}",
                                        x.cert_no,
                                        x.person_name,
                                        c.t1("e-apply-filed-until", "date", &x.expires_on)
                                    ),
                                    selected: x.cert_no == current,
                                })
                                .collect();
                            if !current.is_empty() && !mine.iter().any(|x| x.cert_no == current) {
                                view.options.push(Opt {
                                    label: c.t1("e-apply-not-filed", "no", &current),
                                    value: current,
                                    selected: true,
                                });
                            }
                        } else {
                            view.hint = c.t("e-apply-file-training-first");
                        }
                    }
                }
                FieldType::Integer | FieldType::Decimal | FieldType::Date | FieldType::Bool => {}
            }
            view
        })
        .collect()
}

/// The problems of the form for the summary at the top, each linked to its control.
pub fn summary(c: &Ctx, fields: &[FieldDef], problems: &Problems) -> Vec<Problem> {
    problems
        .items
        .iter()
        .map(|e| {
            let (target, label) = match e.field.strip_prefix("form.") {
                Some(rest) => {
                    let key = rest.split(['.', '[']).next().unwrap_or(rest);
                    let label = fields
                        .iter()
                        .find(|f| f.key == key)
                        .map_or_else(|| key.to_owned(), |f| label_of(c, f));
                    (id_of(&format!("f.{rest}")), label)
                }
                None => (
                    id_of(&e.field),
                    c.t.t_or(&format!("e-field-{}", e.field), &e.field),
                ),
            };
            Problem {
                target,
                label,
                message: message(c, &e.code, &e.message),
            }
        })
        .collect()
}

/// A posted scalar as the JSON the validator checks: a number when it reads as one (otherwise
/// the text, which the validator refuses with the field named), `true`/`false`, or the text.
fn scalar(kind: FieldType, raw: &str) -> Option<Value> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(match kind {
        FieldType::Integer => raw
            .parse::<i64>()
            .map_or_else(|_| Value::String(raw.to_owned()), Value::from),
        // A whole number stays one, so that it reads back as it was typed (`5`, not `5.0`).
        FieldType::Decimal => match raw.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => raw
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or_else(|| Value::String(raw.to_owned()), Value::Number),
        },
        FieldType::Bool => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        _ => Value::String(raw.to_owned()),
    })
}

/// The number of rows shown for list `key` (at most the type's maximum, or 500).
fn row_count(posted: &Form, key: &str, max: Option<usize>) -> usize {
    posted
        .get(&format!("rows.{key}"))
        .parse::<usize>()
        .unwrap_or(0)
        .min(max.unwrap_or(500))
}

/// The JSON form from the posted fields. With `keep_empty_rows` (adding or removing a row) the
/// rows stay as shown, empty ones too; otherwise empty rows and empty values are left out, so
/// that a draft holds only what was typed.
pub fn read(fields: &[FieldDef], posted: &Form, keep_empty_rows: bool) -> Value {
    let mut out = Map::new();
    for f in fields {
        let name = format!("f.{}", f.key);
        let k = &f.constraints;
        let value = match f.kind {
            FieldType::List if k.item_fields.is_none() && k.item_type == Some(FieldType::Enum) => {
                let codes: Vec<Value> = posted
                    .all(&name)
                    .into_iter()
                    .filter(|v| !v.trim().is_empty())
                    .map(Value::String)
                    .collect();
                (!codes.is_empty()).then_some(Value::Array(codes))
            }
            FieldType::List => {
                let n = row_count(posted, &f.key, k.max_items);
                let mut items = Vec::new();
                for i in 0..n {
                    match &k.item_fields {
                        Some(subs) => {
                            let mut obj = Map::new();
                            for s in subs {
                                if let Some(v) =
                                    scalar(s.kind, &posted.get(&format!("{name}[{i}].{}", s.key)))
                                {
                                    obj.insert(s.key.clone(), v);
                                }
                            }
                            if keep_empty_rows || !obj.is_empty() {
                                items.push(Value::Object(obj));
                            }
                        }
                        None => {
                            let raw = posted.get(&format!("{name}[{i}]"));
                            match scalar(k.item_type.unwrap_or(FieldType::Text), &raw) {
                                Some(v) => items.push(v),
                                None if keep_empty_rows => items.push(Value::String(String::new())),
                                None => {}
                            }
                        }
                    }
                }
                (keep_empty_rows || !items.is_empty()).then_some(Value::Array(items))
            }
            kind => scalar(kind, &posted.get(&name)),
        };
        if let Some(v) = value {
            out.insert(f.key.clone(), v);
        }
    }
    Value::Object(out)
}

/// A row operation asked by a submit button: `add` = the list's key, `remove` = `key:index`.
pub enum RowOp {
    Add(String),
    Remove(String, usize),
}

impl RowOp {
    pub fn of(posted: &Form) -> Option<Self> {
        let add = posted.get("add");
        if !add.is_empty() {
            return Some(Self::Add(add));
        }
        let remove = posted.get("remove");
        let (key, index) = remove.rsplit_once(':')?;
        Some(Self::Remove(key.to_owned(), index.parse().ok()?))
    }

    /// Applies the operation to `form` (read with its empty rows kept).
    pub fn apply(&self, fields: &[FieldDef], form: &mut Value) {
        let (key, def) = match self {
            Self::Add(key) | Self::Remove(key, _) => {
                match fields
                    .iter()
                    .find(|f| &f.key == key && f.kind == FieldType::List)
                {
                    Some(def) => (key, def),
                    None => return,
                }
            }
        };
        let Some(obj) = form.as_object_mut() else {
            return;
        };
        let list = obj
            .entry(key.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        let Some(items) = list.as_array_mut() else {
            return;
        };
        match self {
            Self::Add(_) => {
                if items.len() < def.constraints.max_items.unwrap_or(500) {
                    items.push(if def.constraints.item_fields.is_some() {
                        Value::Object(Map::new())
                    } else {
                        Value::String(String::new())
                    });
                }
            }
            Self::Remove(_, i) => {
                if *i < items.len() {
                    items.remove(*i);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<FieldDef> {
        serde_json::from_value(json!([
            {"key": "area", "label": "面积", "type": "decimal", "required": true},
            {"key": "boxes", "label": "箱", "type": "integer", "required": true},
            {"key": "toxic", "label": "剧毒", "type": "bool", "required": true},
            {"key": "changed", "label": "变更", "type": "list", "required": true, "constraints": {"item_type": "enum", "values": ["name", "principal"]}},
            {"key": "chemicals", "label": "品种", "type": "list", "required": true, "constraints": {"min_items": 1, "item_fields": [
                {"key": "name", "label": "品名", "type": "text", "required": true},
                {"key": "cas_no", "label": "CAS", "type": "text", "required": true}
            ]}}
        ]))
        .unwrap()
    }

    fn posted(pairs: &[(&str, &str)]) -> Form {
        Form {
            fields: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn posted_fields_become_the_json_form_with_typed_values_and_empty_rows_left_out() {
        let p = posted(&[
            ("f.area", "12.5"),
            ("f.boxes", "12x"),
            ("f.toxic", "false"),
            ("f.changed", "name"),
            ("rows.chemicals", "3"),
            ("f.chemicals[0].name", "乙醇"),
            ("f.chemicals[0].cas_no", "64-17-5"),
            ("f.chemicals[1].name", ""),
            ("f.chemicals[2].cas_no", "7664-93-9"),
        ]);
        assert_eq!(
            read(&fields(), &p, false),
            json!({"area": 12.5, "boxes": "12x", "toxic": false, "changed": ["name"],
                   "chemicals": [{"name": "乙醇", "cas_no": "64-17-5"}, {"cas_no": "7664-93-9"}]})
        );
    }

    #[test]
    fn rows_are_added_and_removed_with_what_was_typed_kept() {
        let p = posted(&[
            ("rows.chemicals", "2"),
            ("f.chemicals[0].name", "乙醇"),
            ("f.chemicals[1].name", "硫酸"),
            ("remove", "chemicals:0"),
        ]);
        let mut form = read(&fields(), &p, true);
        let op = RowOp::of(&p).unwrap();
        op.apply(&fields(), &mut form);
        assert_eq!(form["chemicals"], json!([{"name": "硫酸"}]));
        RowOp::Add("chemicals".into()).apply(&fields(), &mut form);
        assert_eq!(form["chemicals"], json!([{"name": "硫酸"}, {}]));
        // Only lists have rows.
        RowOp::Add("area".into()).apply(&fields(), &mut form);
        assert!(form.get("area").is_none());
    }
}
