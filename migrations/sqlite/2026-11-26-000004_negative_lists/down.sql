DROP TABLE violations;
DROP TABLE negative_list_items;
DROP TABLE negative_lists;
DROP TABLE negative_list_templates;
