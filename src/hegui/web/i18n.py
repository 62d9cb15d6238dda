"""The dashboard's words in Chinese and English (one table; a missing key shows as itself, and a test checks that
both languages have every key)."""

from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "合规工作台", "overview": "概览", "duties": "义务", "evidence": "证据", "review": "审核",
        "filings": "备案", "logs": "日志", "audit": "审计", "logout": "退出", "login": "登录",
        "username": "用户名", "password": "密码", "bad_login": "用户名或密码错误", "forbidden": "无权执行此操作",
        "queue": "队列", "pending": "待审", "decided": "已审", "disputed": "有分歧", "pass": "通过", "fail": "不通过",
        "risk": "风险类别", "note": "备注", "keys": "快捷键：A 通过 · R 不通过 · K 风险类别 · N 备注",
        "empty_queue": "队列已清空", "upload": "上传", "duty": "义务编号", "file": "文件", "title_field": "标题",
        "approve": "批准", "reject": "驳回", "reason": "理由", "status": "状态", "no_profile": "未配置服务画像（HEGUI_WEB_PROFILE）",
        "state": "状态", "citation": "依据", "due": "期限", "because": "触发事实", "chain_ok": "审计链完整",
        "chain_bad": "审计链被篡改", "search": "搜索", "gateway_log": "网关决定", "delivery_log": "未加标识交付记录（第九条）",
        "export": "导出", "timeline": "期限", "agreement": "一致率", "need_file_and_duty": "需要文件和义务编号",
        "entries": "条", "filing_path": "备案路径", "language": "English",
    },
    "en": {
        "title": "Compliance dashboard", "overview": "Overview", "duties": "Duties", "evidence": "Evidence",
        "review": "Review", "filings": "Filings", "logs": "Logs", "audit": "Audit", "logout": "Log out",
        "login": "Log in", "username": "Username", "password": "Password", "bad_login": "Wrong username or password",
        "forbidden": "You may not do this", "queue": "Queue", "pending": "Pending", "decided": "Decided",
        "disputed": "Disputed", "pass": "Pass", "fail": "Fail", "risk": "Risk", "note": "Note",
        "keys": "Keys: A pass · R fail · K risk · N note", "empty_queue": "The queue is empty", "upload": "Upload",
        "duty": "Duty id", "file": "File", "title_field": "Title", "approve": "Approve", "reject": "Reject",
        "reason": "Reason", "status": "Status", "no_profile": "No service profile configured (HEGUI_WEB_PROFILE)",
        "state": "State", "citation": "Citation", "due": "Due", "because": "Triggered by", "chain_ok": "Audit chain intact",
        "chain_bad": "Audit chain broken", "search": "Search", "gateway_log": "Gateway decisions",
        "delivery_log": "Unlabelled deliveries (Art. 9)", "export": "Export", "timeline": "Deadlines",
        "agreement": "Agreement", "need_file_and_duty": "A file and a duty id are needed", "entries": "entries",
        "filing_path": "Filing path", "language": "中文",
    },
}  # fmt: skip


def translate(lang: str, key: str, **kw: Any) -> str:
    text = STRINGS.get(lang, STRINGS["zh"]).get(key, key)
    return text.format(**kw) if kw else text
