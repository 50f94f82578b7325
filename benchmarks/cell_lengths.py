"""The longest exported code cell of each notebook: its length in lines, its index in the notebook's cell list
(0-based) and the first function or class it defines. Cells longer than the limit are flagged, and the exit
status is 1 if there is any, so a reader never meets a wall of code. Standard library only.
Run: python benchmarks/cell_lengths.py [--limit 60] [--root nbs]"""
import argparse, json, re, sys
from pathlib import Path
from typing import NamedTuple

LIMIT = 60
_EXPORT = re.compile(r'#\|\s*export[is]?(\s|$)')     # nbdev's `#| export`, `#| exporti`, `#| exports` (optionally `#|export`)
_NAME = re.compile(r'^(?:async\s+def|def|class)\s+(\w+)', re.M)  # top-level definitions only

class Cell(NamedTuple):
    notebook: Path
    index: int   # position in the notebook's cell list, from 0
    id: str
    lines: int
    name: str    # first top-level def/class in the cell, or '-'

def _source(cell) -> str:
    return cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])

def is_exported(src: str) -> bool:
    "Whether a code cell's leading `#|` directives export it."
    for line in src.lstrip().splitlines():
        if not line.startswith('#|'): return False
        if _EXPORT.match(line): return True
    return False

def exported_cells(nb_path) -> list[Cell]:
    "The exported code cells of the notebook at `nb_path`."
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    out = []
    for i, c in enumerate(nb['cells']):
        src = _source(c)
        if c['cell_type'] != 'code' or not is_exported(src): continue
        m = _NAME.search(src)
        out.append(Cell(Path(nb_path), i, c.get('id', ''), len(src.splitlines()), m.group(1) if m else '-'))
    return out

def notebooks(root='nbs') -> list[Path]:
    return sorted(p for p in Path(root).rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)

def too_long(root='nbs', limit: int = LIMIT) -> list[Cell]:
    "Every exported cell over `limit` lines, in every notebook under `root`."
    return [c for nb in notebooks(root) for c in exported_cells(nb) if c.lines > limit]

def _describe(c: Cell) -> str:
    return f'{c.lines:4d} lines, cell {c.index} ({c.name})'

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--limit', type=int, default=LIMIT, help='most lines an exported cell may have (default %(default)s)')
    ap.add_argument('--root', default='nbs', help='folder searched for notebooks (default %(default)s)')
    a = ap.parse_args(argv)
    n_over = 0
    for nb in notebooks(a.root):
        cells = exported_cells(nb)
        if not cells: continue
        longest = max(cells, key=lambda c: c.lines)
        over = sorted((c for c in cells if c.lines > a.limit), key=lambda c: -c.lines)
        n_over += len(over)
        print(f"{'OVER' if over else 'ok  '} {nb}: longest exported cell {_describe(longest)}")
        for c in over[1:]: print(f'     {" " * len(str(nb))}  also over: {_describe(c)}')
    print(f'{n_over} exported cell(s) over {a.limit} lines' if n_over else f'every exported cell has at most {a.limit} lines')
    return 1 if n_over else 0

if __name__ == '__main__': sys.exit(main())
