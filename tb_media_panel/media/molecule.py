"""Molecules: PDB, mmCIF, SDF/MOL, MOL2, XYZ, PQR and GRO text, stored byte-exact.

The text is checked to plausibly be the declared format (so a mislabelled file fails when
it is logged, not as an empty viewer) and its title is read for the panel. RDKit molecules
and SMILES become SDF with 3D coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tb_media_panel.media.base import Media, check_caption, describe, is_path
from tb_media_panel.proto import media_pb2

MIME_TYPES = {
    "pdb": "chemical/x-pdb",
    "cif": "chemical/x-mmcif",
    "sdf": "chemical/x-mdl-sdfile",
    "mol2": "chemical/x-mol2",
    "xyz": "chemical/x-xyz",
    "pqr": "chemical/x-pqr",
    "gro": "chemical/x-gro",
}
FORMATS = tuple(MIME_TYPES)
# A MOL file is one SDF record; .ent is the PDB archive's name for PDB files.
_ALIASES = {"mmcif": "cif", "mol": "sdf", "sd": "sdf", "ent": "pdb"}
_CHECK_LINES = 1000  # atom lines checked per file: enough to catch a wrong format, cheap
_EMBED_SEED = 0xF00D  # fixed, so the same molecule always gets the same 3D coordinates

_PDB_ATOM = re.compile(r"^(ATOM  |HETATM)", re.MULTILINE)
_PQR_ATOM = re.compile(r"^(ATOM|HETATM)\s", re.MULTILINE)  # not column-bound
_SDF_COUNTS = re.compile(r"V[23]000\s*$")
_PQR_REMARK = re.compile(r"^REMARK.*\bPQR\b", re.MULTILINE)


def _normalize_format(name: str) -> str | None:
    key = name.lower().lstrip(".")
    key = _ALIASES.get(key, key)
    return key if key in MIME_TYPES else None


def _floats(fields: list[str]) -> bool:
    try:
        for field in fields:
            float(field)
    except ValueError:
        return False
    return True


def _atom_lines(text: str, pattern: re.Pattern[str] = _PDB_ATOM) -> list[str]:
    lines = []
    for match in pattern.finditer(text):
        end = text.find("\n", match.start())
        lines.append(text[match.start() : end if end >= 0 else len(text)].rstrip("\r"))
        if len(lines) >= _CHECK_LINES:
            break
    return lines


def _pdb_problem(text: str) -> str | None:
    lines = _atom_lines(text)
    if not lines:
        return "no ATOM or HETATM lines"
    for line in lines:
        # Fixed columns 31-54 hold x, y, z.
        if not _floats([line[30:38], line[38:46], line[46:54]]):
            return f"ATOM/HETATM line without coordinates in columns 31-54: {line[:60]!r}"
    return None


def _pqr_problem(text: str) -> str | None:
    lines = _atom_lines(text, _PQR_ATOM)
    if not lines:
        return "no ATOM or HETATM lines"
    for line in lines:
        # Whitespace-separated: ... x y z charge radius.
        fields = line.split()
        if len(fields) < 9 or not _floats(fields[-5:]):
            return f"ATOM/HETATM line without x y z charge radius: {line[:60]!r}"
    return None


def _sdf_problem(text: str) -> str | None:
    lines = text.splitlines()
    if len(lines) < 4 or not _SDF_COUNTS.search(lines[3]):
        return "no V2000/V3000 counts line on line 4"
    if "M  END" not in text:
        return "no 'M  END' line"
    return None


def _mol2_problem(text: str) -> str | None:
    if "@<TRIPOS>MOLECULE" not in text:
        return "no @<TRIPOS>MOLECULE section"
    if "@<TRIPOS>ATOM" not in text:
        return "no @<TRIPOS>ATOM section"
    return None


def _cif_problem(text: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            if not stripped.startswith("data_"):
                return f"first line is not a data_ block: {stripped[:40]!r}"
            break
    else:
        return "empty text"
    if "_atom_site." not in text:
        return "no _atom_site table"
    return None


def _xyz_problem(text: str) -> str | None:
    lines = text.splitlines()
    if not lines or not lines[0].strip().isdigit():
        return "first line is not an atom count"
    count = int(lines[0].strip())
    if len(lines) < count + 2:
        return f"atom count {count} but only {max(len(lines) - 2, 0)} atom lines"
    for line in lines[2 : 2 + min(count, _CHECK_LINES)]:
        fields = line.split()
        if len(fields) < 4 or not _floats(fields[1:4]):
            return f"atom line is not 'element x y z': {line[:60]!r}"
    return None


def _gro_problem(text: str) -> str | None:
    lines = text.splitlines()
    if len(lines) < 3 or not lines[1].strip().isdigit():
        return "line 2 is not an atom count"
    count = int(lines[1].strip())
    if len(lines) < count + 3:
        return f"atom count {count} but only {max(len(lines) - 3, 0)} atom and box lines"
    for line in lines[2 : 2 + min(count, _CHECK_LINES)]:
        # Fixed columns 21-44 hold x, y, z in nm.
        if not _floats([line[20:28], line[28:36], line[36:44]]):
            return f"atom line without x y z in columns 21-44: {line[:60]!r}"
    box = lines[2 + count].split()
    if len(box) < 3 or not _floats(box):
        return f"last line is not the box vectors: {lines[2 + count][:60]!r}"
    return None


_CHECKS: dict[str, Callable[[str], str | None]] = {
    "pdb": _pdb_problem,
    "cif": _cif_problem,
    "sdf": _sdf_problem,
    "mol2": _mol2_problem,
    "xyz": _xyz_problem,
    "pqr": _pqr_problem,
    "gro": _gro_problem,
}


def sniff_format(text: str) -> str | None:
    """The molecule format the text is, or None. PQR and PDB share ATOM lines: PQR is
    chosen when a REMARK says so or the fixed PDB columns do not parse."""
    for name in ("mol2", "cif", "sdf", "xyz", "gro"):
        if _CHECKS[name](text) is None:
            return name
    if _pqr_problem(text) is None and (
        _PQR_REMARK.search(text) is not None or _pdb_problem(text) is not None
    ):
        return "pqr"
    return "pdb" if _pdb_problem(text) is None else None


def _pdb_title(text: str) -> str:
    title = [line[10:80].strip() for line in text.splitlines() if line.startswith("TITLE ")]
    if title:
        return " ".join(t for t in title if t)
    for line in text.splitlines():
        if line.startswith("HEADER"):
            return line[10:50].strip()
    return ""


def _cif_title(text: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("_struct.title"):
            continue
        value = line[len("_struct.title") :].strip()
        if not value and i + 1 < len(lines):
            following = lines[i + 1]
            if following.startswith(";"):  # a multi-line text field, closed by a lone ';'
                parts = [following[1:].strip()]
                for more in lines[i + 2 :]:
                    if more.startswith(";"):
                        break
                    parts.append(more.strip())
                value = " ".join(p for p in parts if p)
            else:
                value = following.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        return "" if value in ("?", ".") else value
    match = re.search(r"^data_(\S+)", text, re.MULTILINE)
    return match.group(1) if match else ""


def _mol2_title(text: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "@<TRIPOS>MOLECULE" and i + 1 < len(lines):
            name = lines[i + 1].strip()
            return "" if name == "*****" else name  # "*****" is MOL2's "no name"
    return ""


def _line_title(index: int) -> Callable[[str], str]:
    def title(text: str) -> str:
        lines = text.splitlines()
        return lines[index].strip() if len(lines) > index else ""

    return title


_TITLES: dict[str, Callable[[str], str]] = {
    "pdb": _pdb_title,
    "pqr": _pdb_title,
    "cif": _cif_title,
    "sdf": _line_title(0),
    "mol2": _mol2_title,
    "xyz": _line_title(1),
    "gro": _line_title(0),
}


def _read_input(data: Any) -> tuple[bytes, str | None, str]:
    """(content, format from the file extension or None, where the format came from)."""
    if isinstance(data, str) and ("\n" in data or "\r" in data):
        return data.encode("utf-8"), None, ""
    if is_path(data):
        path = Path(data)
        if not path.is_file():
            raise ValueError(
                f"data: expected a path to an existing file or molecule text (with newlines), "
                f"got {str(data)!r} (not found); for SMILES use Molecule.from_smiles"
            )
        key = _normalize_format(path.suffix)
        if key is None:
            raise ValueError(
                f"data: unknown molecule file extension {path.suffix!r} of {str(path)!r}; "
                f"expected one of .pdb .cif .mmcif .sdf .mol .mol2 .xyz .pqr .gro, or pass format="
            )
        return path.read_bytes(), key, f"the extension {path.suffix!r}"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None, ""
    raise TypeError(
        f"data: expected a path or molecule text (str or bytes), got {describe(data)}; "
        "for RDKit molecules use Molecule.from_rdkit"
    )


class Molecule(Media):
    """A molecule from a path or the text of a PDB, mmCIF, SDF/MOL, MOL2, XYZ, PQR or GRO
    file; `format` comes from the extension, is given, or is recognised from the text."""

    kind = "molecule"

    def __init__(self, data: Any, format: str | None = None, caption: str | None = None) -> None:
        caption_text = check_caption(caption)
        declared: str | None = None
        origin = f"format={format!r}"
        if format is not None:
            if not isinstance(format, str):
                raise TypeError(
                    f"format: expected a str such as 'pdb' or None, got {describe(format)}"
                )
            declared = _normalize_format(format)
            if declared is None:
                raise ValueError(
                    f"format: expected one of pdb, cif, mmcif, sdf, mol, mol2, xyz, pqr, gro, "
                    f"got {format!r}"
                )
        content, from_extension, extension_origin = _read_input(data)
        if declared is None and from_extension is not None:
            declared, origin = from_extension, extension_origin
        # Validation reads the text; the stored bytes stay exactly as given.
        text = content.decode("utf-8", errors="replace")
        if declared is None:
            declared = sniff_format(text)
            if declared is None:
                raise ValueError(
                    "data: could not recognise the molecule format of the text "
                    f"(starts {text[:40]!r}); expected {', '.join(FORMATS)}, or pass format="
                )
        else:
            problem = _CHECKS[declared](text)
            if problem is not None:
                actual = sniff_format(text)
                seen = f"the text looks like {actual}" if actual else f"the text is not: {problem}"
                raise ValueError(f"data: expected {declared} (from {origin}), but {seen}")
        record = media_pb2.MediaItem(
            mime=MIME_TYPES[declared],
            format=declared,
            caption=caption_text,
            title=_TITLES[declared](text),
            data=content,
        )
        super().__init__(record)

    @classmethod
    def from_rdkit(cls, mol: Any, caption: str | None = None) -> Molecule:
        """An RDKit molecule as SDF; without a 3D conformer, hydrogens are added and 3D
        coordinates embedded (fixed seed) and optimised with MMFF, or UFF as a fallback."""
        if not (hasattr(mol, "GetNumAtoms") and hasattr(mol, "GetConformers")):
            raise TypeError(f"mol: expected an rdkit.Chem.Mol, got {describe(mol)}")
        if mol.GetNumAtoms() == 0:
            raise ValueError("mol: expected a molecule with atoms, got an empty rdkit.Chem.Mol")
        from rdkit import Chem
        from rdkit.Chem import AllChem

        conformers = [c.GetId() for c in mol.GetConformers() if c.Is3D()]
        if not conformers:
            # Hydrogens make the embedded geometry realistic (W&B's from_rdkit does the same).
            mol = Chem.AddHs(mol)
            if AllChem.EmbedMolecule(mol, randomSeed=_EMBED_SEED) != 0 and (
                AllChem.EmbedMolecule(mol, randomSeed=_EMBED_SEED, useRandomCoords=True) != 0
            ):
                raise ValueError(
                    f"mol: RDKit could not embed 3D coordinates for {Chem.MolToSmiles(mol)!r}"
                )
            if AllChem.MMFFHasAllMoleculeParams(mol):
                AllChem.MMFFOptimizeMolecule(mol)
            elif AllChem.UFFHasAllMoleculeParams(mol):
                AllChem.UFFOptimizeMolecule(mol)
            conformers = [c.GetId() for c in mol.GetConformers()]
        if len(conformers) == 1:
            text = Chem.MolToMolBlock(mol, confId=conformers[0])
        else:  # every 3D conformer, as the records of one SDF file
            text = "".join(Chem.MolToMolBlock(mol, confId=c) + "$$$$\n" for c in conformers)
        return cls(text, format="sdf", caption=caption)

    @classmethod
    def from_smiles(cls, smiles: Any, caption: str | None = None) -> Molecule:
        """A SMILES string, with hydrogens added and 3D coordinates embedded."""
        if not isinstance(smiles, str):
            raise TypeError(f"smiles: expected a SMILES str, got {describe(smiles)}")
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.error")  # the ValueError below says it; no stderr noise
        try:
            mol = Chem.MolFromSmiles(smiles) if smiles.strip() else None
        finally:
            RDLogger.EnableLog("rdApp.error")
        if mol is None or mol.GetNumAtoms() == 0:
            raise ValueError(f"smiles: expected a valid SMILES string, got {smiles!r}")
        mol.SetProp("_Name", smiles)  # the SDF title line, shown as the molecule's title
        return cls.from_rdkit(mol, caption=caption)
