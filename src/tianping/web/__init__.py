"""Server-rendered zh-CN pages (Jinja2). Thin handlers: parse, call one service, render."""
