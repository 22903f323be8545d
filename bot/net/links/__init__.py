"""The link checker in three jobs, as lychee splits them: collect (find the links of a markdown
document), check (is each one alive?), audit (report on a whole list)."""
