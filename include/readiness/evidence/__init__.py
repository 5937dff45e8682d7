"""Evidence storage and the documented schemas of evidence documents."""
