"""延期审核 (/center/extensions): the center decides the departments' extension requests."""
