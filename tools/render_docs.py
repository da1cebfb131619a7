"""Render the documentation site to HTML offline: nbdev processes the notebooks into `_proc/`, this renders them.

Quarto (`nbdev-docs`) is the real site builder; where it is not installed this runs nbdev's own
notebook processing (show_doc, directives; what `nbdev-proc-nbs` does, minus its attempt to download
Quarto), renders the processed notebooks and Markdown pages with markdown-it-py and Pygments, with
the sidebar of `nbs/sidebar.yml`, and checks the site: every sidebar page rendered, a page for every
exported module, and every internal link and #anchor resolving. Exits 1 with the problems otherwise.

    python tools/render_docs.py [--no-process] [--proc _proc] [--out _docs]
"""
from __future__ import annotations
import argparse, html, json, posixpath, re, shutil, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, get_lexer_by_name
from pygments.util import ClassNotFound

ROOT = Path(__file__).resolve().parents[1]
MD = MarkdownIt('commonmark', {'html': True}).enable(['table', 'strikethrough'])
DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*)$')

def slug(text: str) -> str:
    "A heading's anchor id, the way Quarto makes it: lowercase, punctuation dropped, spaces to dashes."
    text = re.sub(r'<[^>]+>', '', html.unescape(text)).strip().lower()
    return re.sub(r'\s+', '-', re.sub(r'[^\w\s-]', '', text))

def add_heading_ids(body: str) -> str:
    "Give every <h1>-<h6> without an id the slug of its text."
    return re.sub(r'<h([1-6])>(.*?)</h\1>', lambda m: f'<h{m[1]} id="{slug(m[2])}">{m[2]}</h{m[1]}>', body, flags=re.S)

def code_html(src: str, lang: str = 'python') -> str:
    "Source code highlighted by Pygments."
    try: lexer = get_lexer_by_name(lang)
    except ClassNotFound: lexer = PythonLexer()
    return highlight(src, lexer, HtmlFormatter(cssclass='sourceCode'))

def md_html(text: str) -> str:
    "Markdown to HTML, with fenced code highlighted."
    out, pos = [], 0
    for m in re.finditer(r'^```(\w*)\n(.*?)^```\s*$', text, flags=re.S | re.M):
        out += [MD.render(text[pos:m.start()]), code_html(m[2], m[1] or 'python')]; pos = m.end()
    return ''.join(out) + MD.render(text[pos:])

def front_matter(text: str) -> tuple[dict, str]:
    "The YAML front matter of a page (safe-loaded) and the rest of it."
    m = re.match(r'^---\n(.*?)\n---\s*\n', text, flags=re.S)
    return (yaml.safe_load(m[1]) or {}, text[m.end():]) if m else ({}, text)

def directives(src: str) -> tuple[dict, str]:
    "A code cell's `#| key: value` directives and its source without them."
    dirs, keep = {}, []
    for line in src.splitlines():
        m = DIRECTIVE.match(line)
        if m and not keep: dirs[m[1]] = m[2].strip() or True
        else: keep.append(line)
    return dirs, '\n'.join(keep).strip('\n')

def output_html(o: dict) -> str:
    "One cell output as HTML: Markdown (show_doc), HTML, PNG, plain text or a stream."
    if o['output_type'] == 'stream': return f"<pre class='output'>{html.escape(''.join(o['text']))}</pre>"
    if o['output_type'] == 'error': return f"<pre class='output error'>{html.escape(o['ename'] + ': ' + o['evalue'])}</pre>"
    d = o.get('data', {})
    if 'text/markdown' in d: return md_html(''.join(d['text/markdown']))
    if 'text/html' in d: return ''.join(d['text/html'])
    if 'image/png' in d: return f"<img alt='figure' src='data:image/png;base64,{''.join(d['image/png']).strip()}'>"
    if 'image/svg+xml' in d: return ''.join(d['image/svg+xml'])
    if 'text/plain' in d: return f"<pre class='output'>{html.escape(''.join(d['text/plain']))}</pre>"
    return ''

def notebook_page(path: Path) -> tuple[dict, str]:
    "A processed notebook's front matter and body HTML; cells marked `echo: false` show only their output."
    nb, meta, parts = json.loads(path.read_text()), {}, []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'raw':
            fm, _ = front_matter(src)
            if fm: meta.update(fm); continue
        if c['cell_type'] == 'markdown': parts.append(md_html(src)); continue
        if c['cell_type'] != 'code': continue
        dirs, code = directives(src)
        if dirs.get('include') == 'false': continue
        if code and dirs.get('echo') != 'false': parts.append(code_html(code))
        parts += [output_html(o) for o in c.get('outputs', [])]
    return meta, '\n'.join(parts)

def markdown_page(path: Path) -> tuple[dict, str]:
    "A Markdown page's front matter and body HTML."
    meta, text = front_matter(path.read_text())
    return meta, md_html(text)

def sidebar_entries(node) -> list:
    "The sidebar as a flat list of ('page', path) and ('section', title) entries, in order."
    out = []
    for item in node:
        if isinstance(item, str): out.append(('page', item))
        elif isinstance(item, dict) and 'section' in item:
            out.append(('section', item['section'])); out += sidebar_entries(item.get('contents', []))
        elif isinstance(item, dict) and 'href' in item: out.append(('page', item['href']))
    return out

def out_name(src: str, meta: dict) -> str:
    "The HTML file a source page renders to (its `output-file`, else its name with .html)."
    if src in ('index.ipynb', 'index.md'): return 'index.html'
    name = meta.get('output-file') or Path(src).with_suffix('.html').name
    return str(Path(src).parent / name) if Path(src).parent != Path('.') else name

def relink(body: str, here: str, names: dict[str, str]) -> str:
    "Point links at .ipynb/.md sources to their rendered pages, relative to page `here`."
    def fix(m):
        url = m[2]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path or not re.search(r'\.(ipynb|md|qmd)$', parts.path): return m[0]
        target = names.get(posixpath.normpath(posixpath.join(posixpath.dirname(here), unquote(parts.path))))
        if target is None: return m[0]  # left as is: the link check reports it
        rel = Path('../' * (len(Path(names[here]).parts) - 1) + target).as_posix()
        return f'{m[1]}="{rel}{"#" + parts.fragment if parts.fragment else ""}"'
    return re.sub(r'(href)="([^"]+)"', fix, body)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} – {site}</title>
<meta name="description" content="{desc}"><link rel="stylesheet" href="{up}site.css"></head>
<body><nav class="sidebar"><a class="site" href="{up}index.html">{site}</a>{nav}</nav>
<main><h1 class="title">{title}</h1><p class="description">{desc_html}</p>{body}</main></body></html>"""

CSS = """body{font-family:system-ui,sans-serif;margin:0;display:flex;color:#222}nav.sidebar{width:250px;min-width:250px;padding:1em;
background:#f7f7f9;height:100vh;overflow-y:auto;position:sticky;top:0;font-size:14px}nav a{display:block;padding:2px 0;color:#2a5db0;
text-decoration:none}nav a.current{font-weight:bold}nav .section{margin-top:.8em;font-weight:600;color:#555}a.site{font-size:18px;
font-weight:700;margin-bottom:.5em}main{padding:1em 2em;max-width:980px;overflow-x:auto}pre{background:#f5f5f5;padding:.6em;
overflow-x:auto}pre.output{background:#fff;border-left:3px solid #ddd}.description{color:#555;font-style:italic}table{border-collapse:
collapse}td,th{border:1px solid #ddd;padding:2px 6px}img{max-width:100%}""" + HtmlFormatter(cssclass='sourceCode').get_style_defs(
    '.sourceCode'
)

def nav_html(entries, names, titles, here) -> str:
    "The sidebar links, the current page marked."
    up = '../' * (len(Path(names[here]).parts) - 1)
    out = []
    for kind, v in entries:
        if kind == 'section': out.append(f"<div class='section'>{html.escape(v)}</div>")
        else: out.append(f"<a href='{up}{names[v]}'{' class=current' if v == here else ''}>{html.escape(titles[v])}</a>")
    return ''.join(out)

class _Links(HTMLParser):
    "Collects ids, hrefs and srcs of a page."
    def __init__(self):
        super().__init__(); self.ids, self.links = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'img' and a.get('src') and not a['src'].startswith('data:'): self.links.append(a['src'])

def check_links(out: Path) -> list[str]:
    "Every internal link of the site that does not resolve, as 'page: link (why)'."
    pages = {p.relative_to(out).as_posix(): p for p in out.rglob('*.html')}
    parsed = {}
    for k, p in pages.items(): parsed[k] = _Links(); parsed[k].feed(p.read_text())
    bad = []
    for k, parser in parsed.items():
        for link in parser.links:
            u = urlsplit(link)
            if u.scheme in ('http', 'https', 'mailto') or u.netloc: continue
            target = k if not u.path else posixpath.normpath(posixpath.join(posixpath.dirname(k), unquote(u.path)))
            if target not in pages and not (out / target).exists(): bad.append(f"{k}: {link} (no page {target})"); continue
            if u.fragment and target in parsed and unquote(u.fragment) not in parsed[target].ids:
                bad.append(f"{k}: {link} (no #{u.fragment} on {target})")
    return bad

def module_notebooks() -> dict[str, str]:
    "Each exported module of align_nb and the notebook it is exported from."
    out = {}
    for py in sorted((ROOT / 'align_nb').glob('*.py')):
        m = re.search(r'^# %% \.\./nbs/(\S+\.ipynb)', py.read_text(), flags=re.M)
        if m: out[py.stem] = m[1]
    return out

def render(proc: Path, out: Path) -> list[str]:
    "Render every sidebar page of `proc` into `out`; returns the problems found (empty: the site is whole)."
    cfg = yaml.safe_load((proc / 'sidebar.yml').read_text())
    site = yaml.safe_load((proc / 'nbdev.yml').read_text())['website']
    entries = sidebar_entries(cfg['website']['sidebar']['contents'])
    pages = [v for k, v in entries if k == 'page']
    problems = [f"sidebar: {p} is not in {proc}" for p in pages if not (proc / p).exists()]
    rendered = {p: (notebook_page if p.endswith('.ipynb') else markdown_page)(proc / p) for p in pages if (proc / p).exists()}
    names = {p: out_name(p, meta) for p, (meta, _) in rendered.items()}
    titles = {p: str(meta.get('title') or Path(p).stem) for p, (meta, _) in rendered.items()}
    out.mkdir(parents=True, exist_ok=True)
    (out / 'site.css').write_text(CSS)
    if (proc / 'images').is_dir(): shutil.copytree(proc / 'images', out / 'images', dirs_exist_ok=True)  # screenshots the pages show
    for p, (meta, body) in rendered.items():
        up = '../' * (len(Path(names[p]).parts) - 1)
        desc = str(meta.get('description') or '')
        page = PAGE.format(
            title=html.escape(titles[p]),
            site=html.escape(site['title']),
            desc=html.escape(desc),
            desc_html=html.escape(desc),
            up=up,
            nav=nav_html(entries, names, titles, p),
            body=relink(add_heading_ids(body), p, names),
        )
        (out / names[p]).parent.mkdir(parents=True, exist_ok=True)
        (out / names[p]).write_text(page)
    documented = set(pages)
    problems += [
        f"module align_nb.{m}: its notebook {nb} has no page in the sidebar" for m, nb in module_notebooks().items() if nb not in documented
    ]
    problems += check_links(out)
    return problems

def process() -> Path:
    "Process the notebooks for the docs as `nbdev-proc-nbs` does (module index, sidebar, `proc_nbs`), without installing Quarto."
    import os
    from nbdev.config import get_config
    from nbdev.doclinks import _build_modidx
    from nbdev.quarto import nbdev_sidebar, refresh_quarto_yml
    from nbdev.serve import proc_nbs
    cfg = get_config(ROOT)
    os.chdir(cfg.config_path)
    refresh_quarto_yml(); _build_modidx()
    nbdev_sidebar.__wrapped__(path=cfg.nbs_path)
    proc_nbs(cfg.nbs_path)
    return cfg.config_path / '_proc'

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--proc', type=Path, default=ROOT / '_proc', help='notebooks processed by nbdev-proc-nbs')
    ap.add_argument('--out', type=Path, default=ROOT / '_docs', help='where the HTML site goes')
    ap.add_argument('--no-process', action='store_true', help='render _proc as it is, without processing the notebooks first')
    a = ap.parse_args(argv)
    if not a.no_process: process()
    problems = render(a.proc, a.out)
    n = len(list(a.out.rglob('*.html')))
    if problems:
        print(f"{len(problems)} problems in the site rendered to {a.out}:", *problems, sep='\n  ', file=sys.stderr); return 1
    print(f"rendered {n} pages to {a.out}: every sidebar page, a page per exported module, every internal link resolves")
    return 0

if __name__ == '__main__': sys.exit(main())
