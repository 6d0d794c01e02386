//! Templates, enterprise lists, their items and violation records in the database, a file per
//! sub-resource. Functions take `conn` first and typed ids; rows keep the stored text, which the
//! use cases turn into views.

mod figures;
mod items;
mod lists;
mod violations;

pub use figures::{Group, StatsScope, breakdown, count, employees};
pub use items::{
    ItemRow, delete_items, find_item, industry_exists, insert_items, item_counts, list_items,
    replace_template, template_counts, template_items,
};
pub use lists::{
    ListRow, NewList, current_of, delete_draft, draft_of, find_list, in_force, insert_list, lists,
    next_version, publish, supersede, touch_draft,
};
pub use violations::{
    NewViolation, ViolationFilter, ViolationRow, correct, employee_window, find_violation,
    insert_violation, insert_violations, set_flags, violations,
};
