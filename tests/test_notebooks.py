"""Notebooks a reader can follow: no exported code cell is longer than 60 lines (see benchmarks/cell_lengths.py)."""
import importlib.util, json
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('cell_lengths', ROOT / 'benchmarks' / 'cell_lengths.py')
cell_lengths = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(cell_lengths)

@pytest.mark.parametrize('nb', cell_lengths.notebooks(ROOT / 'nbs'), ids=lambda p: str(p.relative_to(ROOT / 'nbs')))
def test_exported_cells_are_short(nb):
    over = [c for c in cell_lengths.exported_cells(nb) if c.lines > cell_lengths.LIMIT]
    assert not over, '\n'.join(f'{nb.relative_to(ROOT)}: exported cell {c.index} (id {c.id}, {c.name}) has {c.lines} lines, '
                               f'over {cell_lengths.LIMIT}' for c in over)

def _nb(path, *cells):
    path.write_text(json.dumps({'cells': [dict(cell_type=t, id=f'c{i}', metadata={}, source=s) for i, (t, s) in enumerate(cells)]}))
    return path

def test_cell_lengths_counts_exported_cells_only(tmp_path, capsys):
    long_code = 'def f():\n' + '    x = 1\n' * 70
    _nb(tmp_path / 'a.ipynb', ('code', '#| default_exp a'), ('markdown', long_code), ('code', long_code),
        ('code', '#| export\n' + long_code), ('code', '#|exporti\nclass C: pass'), ('code', '#| hide\n#| export\nx = 1'))
    cells = cell_lengths.exported_cells(tmp_path / 'a.ipynb')
    assert [(c.index, c.lines, c.name) for c in cells] == [(3, 72, 'f'), (4, 2, 'C'), (5, 3, '-')]
    assert cell_lengths.main(['--root', str(tmp_path)]) == 1
    assert 'OVER' in capsys.readouterr().out
    assert cell_lengths.main(['--root', str(tmp_path), '--limit', '72']) == 0
