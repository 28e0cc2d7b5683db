"""承办单位工作台 (/dept): a department's inbox (待签收 / 办理中 / 已办结), 签收, 办理 and 退单."""
