"""OOXML samples: a docx built part by part (no python-docx at run time) and an xlsx from openpyxl.

``size`` adds a stored (uncompressed) media part of noise to the docx, as an embedded image would.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from openpyxl import Workbook

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="bin" ContentType="application/octet-stream"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    "</Relationships>"
)
CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>hegui sample</dc:title>'
    "<dc:creator>hegui</dc:creator></cp:coreProperties>"
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>hegui sample 合规</w:t></w:r></w:p>'
    "<w:sectPr/></w:body></w:document>"
)


def make_docx(path: Path, *, size: int = 0) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("docProps/core.xml", CORE)
        archive.writestr("word/document.xml", DOCUMENT)
        if size:
            archive.writestr("word/media/noise.bin", os.urandom(size), compress_type=zipfile.ZIP_STORED)
    return path


def make(folder: Path, *, size: int = 0) -> list[Path]:
    docx = make_docx(folder / "sample.docx", size=size)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "hegui sample"
    book.properties.title = "hegui sample"
    xlsx = folder / "sample.xlsx"
    book.save(xlsx)
    return [docx, xlsx]
