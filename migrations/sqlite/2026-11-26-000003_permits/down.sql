DROP TABLE number_sequences;
DROP TABLE certificates;
DROP TABLE applications;
DROP TABLE permit_types;
