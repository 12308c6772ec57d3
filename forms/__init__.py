"""WTForms classes, one module per audience. Forms never query the database:
choices are passed in by the view."""
