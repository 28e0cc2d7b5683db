"""The citizen's web pages: 在线提交诉求 (/citizen/new) and 诉求查询与评价 (/citizen/query)."""
