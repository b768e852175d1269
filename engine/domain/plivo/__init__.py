"""The Plivo-compatible face of call programs (pure): call options, webhook parameters,
the answer_url document parser."""
