"""Proteins and small molecules.

- `structure/true`: a helix-turn-helix built by PeptideBuilder from ideal backbone angles;
  `structure/predicted`: backbone angles optimised from an extended strand toward it (the
  run's learning rate sets the pace), superimposed on the truth so the panel can overlay them.
- `molecules/*`: CDK2 ligands with their 3D poses from RDKit's bundled SDF data, plus drugs from
  SMILES and NCI compounds, which RDKit embeds in 3D.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

import tb_media_panel as mp
from tb_media_panel.demo.config import DemoConfig, MediaSink, Metrics, RunConfig

# Helix 1, a glycine-containing turn, helix 2: the DNA-binding motif of many repressors.
HELIX_1 = "SPEELLKKALELAKK"
TURN = "GNPG"
HELIX_2 = "SEELLKKLAELLEKA"
SEQUENCE = HELIX_1 + TURN + HELIX_2
HELIX_ANGLES = (-57.0, -47.0)
TURN_ANGLES = [(-90.0, 0.0), (80.0, 10.0), (-70.0, 150.0), (-60.0, 140.0)]
EXTENDED = (-120.0, 130.0)  # a beta strand: where the prediction starts
DRUGS = {
    "caffeine": "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "aspirin": "CC(=O)OC1=CC=CC=C1C(=O)O",
    "ibuprofen": "CC(C)CC1=CC=C(C=C1)C(C)C(=O)O",
    "paracetamol": "CC(=O)NC1=CC=C(C=C1)O",
}
LIGANDS_PER_STEP = 4


def true_angles() -> np.ndarray:
    """(len-1, 2) phi/psi in degrees, from the second residue on (PeptideBuilder's convention)."""
    angles = [HELIX_ANGLES] * (len(HELIX_1) - 1) + TURN_ANGLES + [HELIX_ANGLES] * len(HELIX_2)
    return np.array(angles, dtype=np.float64)


def build(angles: np.ndarray):  # -> Bio.PDB.Structure.Structure
    import PeptideBuilder

    return PeptideBuilder.make_structure(
        SEQUENCE, [float(a) for a in angles[:, 0]], [float(a) for a in angles[:, 1]]
    )


def superimpose(moving, fixed) -> float:  # (Structure, Structure) -> RMSD in Å
    """Move `moving` onto `fixed` by their C-alpha atoms, so the overlay is meaningful."""
    from Bio.PDB import Superimposer

    fixed_ca = [a for a in fixed.get_atoms() if a.get_id() == "CA"]
    moving_ca = [a for a in moving.get_atoms() if a.get_id() == "CA"]
    aligner = Superimposer()
    aligner.set_atoms(fixed_ca, moving_ca)
    aligner.apply(list(moving.get_atoms()))
    return float(aligner.rms)


def pdb_text(structure) -> str:
    from Bio.PDB import PDBIO

    out = io.StringIO()
    writer = PDBIO()
    writer.set_structure(structure)
    writer.save(out)
    return out.getvalue()


def fold(run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> dict[int, np.ndarray]:
    """Adam on the backbone angles, loss 1 - cos(angle error): the prediction at each logged step."""
    rng = np.random.default_rng(run.seed)
    # A model never lands exactly on the truth: each run converges to its own small errors.
    target = torch.from_numpy(np.radians(true_angles() + rng.normal(0, 4, size=true_angles().shape)))
    start = np.radians(np.array(EXTENDED) + rng.normal(0, 15, size=target.shape))
    angles = torch.tensor(start, requires_grad=True)
    # Angles move ~lr*scale radians per step: scaled so even the slowest run folds partly.
    optimizer = torch.optim.Adam([angles], lr=run.lr * 2.5)
    logged = set(cfg.logged_steps())
    steps_per_iteration = max(1, 1000 // max(1, cfg.iterations))  # quick demos fold as far
    out: dict[int, np.ndarray] = {}
    for step in range(cfg.iterations + 1):
        if step in logged:
            out[step] = np.degrees(angles.detach().numpy().copy())
        if step == cfg.iterations:
            break
        for _ in range(steps_per_iteration):
            loss = (1 - torch.cos(angles - target)).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if step % 10 == 0:
            metrics.add("structure/angle_loss", step, loss.item())
    return out


def cdk2_ligands():  # -> list[rdkit.Chem.Mol] with 3D coordinates
    """Docked CDK2 inhibitors shipped in RDKit's Contrib data (real 3D poses)."""
    import rdkit
    from rdkit import Chem

    path = Path(rdkit.__file__).parent / "Contrib" / "Fastcluster" / "testdata" / "cdk2.sdf"
    return [m for m in Chem.SDMolSupplier(str(path)) if m is not None]


def nci_compounds():  # -> list[rdkit.Chem.Mol] with 2D coordinates only
    from rdkit import Chem, RDConfig

    path = Path(RDConfig.RDDataDir) / "NCI" / "first_200.props.sdf"
    return [m for m in Chem.SDMolSupplier(str(path)) if m is not None]


def log(w: MediaSink, run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> None:
    from rdkit import Chem

    truth = build(true_angles())
    truth_pdb = mp.Molecule(pdb_text(truth), format="pdb", caption="helix-turn-helix (true)")
    for step, angles in fold(run, cfg, metrics).items():
        predicted = build(angles)
        rmsd = superimpose(predicted, truth)
        metrics.add("structure/ca_rmsd", step, rmsd)
        w.add("structure/true", truth_pdb, step)
        w.add(
            "structure/predicted",
            mp.Molecule(pdb_text(predicted), format="pdb", caption=f"C-alpha RMSD {rmsd:.1f} Å"),
            step,
        )

    ligands = cdk2_ligands()
    offset = (run.seed - 1) * LIGANDS_PER_STEP
    for n, step in enumerate(cfg.logged_steps()):
        chosen = [
            ligands[(offset + n * LIGANDS_PER_STEP + k) % len(ligands)] for k in range(LIGANDS_PER_STEP)
        ]
        w.add(
            "molecules/cdk2_ligands",
            [mp.Molecule.from_rdkit(m, caption=m.GetProp("_Name")) for m in chosen],
            step,
        )
    # The same molecules through the text formats a user may have on disk.
    first = ligands[run.seed % len(ligands)]
    w.add(
        "molecules/formats",
        [
            mp.Molecule(Chem.MolToMolBlock(first), format="sdf", caption="SDF (mol block)"),
            mp.Molecule(Chem.MolToXYZBlock(first), format="xyz", caption="XYZ"),
            mp.Molecule(Chem.MolToPDBBlock(first), format="pdb", caption="PDB"),
        ],
        0,
    )
    if run.seed == 1:  # the same molecules in every run would only repeat: the first run has them
        w.add(
            "molecules/drugs_from_smiles",
            [mp.Molecule.from_smiles(smiles, caption=name) for name, smiles in DRUGS.items()],
            0,
        )
    compounds = nci_compounds()
    pick = [compounds[(run.seed * 7 + k) % len(compounds)] for k in range(3)]
    w.add(
        "molecules/nci_embedded",
        [mp.Molecule.from_rdkit(m, caption=f"NCI {m.GetProp('_Name') or k}") for k, m in enumerate(pick)],
        0,
    )
