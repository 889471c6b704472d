"""No models. Its presence makes `migrate` send post_migrate to the focal app, whose handler
(FocalConfig) creates the database cache table."""
