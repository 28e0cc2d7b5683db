"""Automated outbound 回访 survey (issue 13.2): a replied ticket's citizen is called, answers by DTMF
(已解决/未解决, 满意/基本满意/不满意), and the answer lands on the ticket; retries only at allowed hours."""
