"""知识库: the knowledge base agents answer citizens from (import, Chinese search, transcript suggestions)."""
