"""ERCOT clients: LSE file upload with acknowledgement, and MIS price documents (iso-formats.md §2.3, §5.2).

LSE: ERCOT takes settlement meter data from TDSPs only (Protocols §10.1), so `upload_lse` puts a file into the
drop of the TDSP that owns the ESI ID (or the fake ISO's), never into ERCOT as the campus; the file name's DUNS
names the TDSP as sender. docs/iso-adapters.md says which party sends what.
MIS: list documents of a report type (each listed twice, `_csv.zip` and `_xml.zip`; we take the CSV twin),
download each (a ZIP with one CSV), parse, and version re-posts: a `_retry_` document supersedes its original.
Document walks are bounded by `documents_max`.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable

import httpx

from common.errors import BadInput
from market_adapters.ercot.lse_format import LseFile
from market_adapters.ercot.parse import (
    csv_documents,
    document_versions,
    parse_document_name,
    parse_np6_905_csv,
    read_zip_csv,
)
from market_adapters.errors import IsoUnavailable
from market_adapters.http.file_upload import outcome_or_rejection, upload_file
from market_adapters.http.retry import (
    RETRY_DEFAULT,
    TIMEOUT_DEFAULT,
    RetryPolicy,
    send_with_retry,
    tls_context,
)
from market_adapters.model import IsoCredentials, IsoMeterRef, SubmissionOutcome
from market_adapters.prices import PriceRow

ISO = "ERCOT"
EDM_UPLOAD_PATH = "/edm/upload"
DOC_LIST_PATH = "/misapp/servlets/IceDocListJsonWS"
DOWNLOAD_PATH = "/misdownload/servlets/mirDownload"
RT_SPP_REPORT_TYPE_ID = 12301


def upload_lse(base_url: str, credentials: IsoCredentials, lse: LseFile, meter: IsoMeterRef, *,
               retry: RetryPolicy = RETRY_DEFAULT, transport: httpx.BaseTransport | None = None,
               sleep: Callable[[float], None] = time.sleep) -> SubmissionOutcome:
    """Upload one LSE file to the TDSP drop at `base_url`; a REJECTED acknowledgement raises IsoRejected naming
    `meter`."""
    with httpx.Client(base_url=base_url, auth=(credentials.username, credentials.password),
                      timeout=TIMEOUT_DEFAULT, verify=tls_context(credentials), transport=transport) as client:
        ack = upload_file(client, EDM_UPLOAD_PATH, ISO, lse.file_name, lse.text, retry, sleep)
    lines = lse.text.count("\r\n") or lse.text.count("\n")
    return outcome_or_rejection(ISO, ack, {line: (meter.iso_meter_id, meter.meter_id) for line in range(1, lines + 1)})


def fetch_rt_settlement_point_prices(base_url: str, *, documents_max: int,
                                     verify: ssl.SSLContext | bool = True,
                                     retry: RetryPolicy = RETRY_DEFAULT, transport: httpx.BaseTransport | None = None,
                                     sleep: Callable[[float], None] = time.sleep) -> list[PriceRow]:
    """Every NP6-905-CD document listed (at most `documents_max`), re-posts as higher versions."""
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_DEFAULT, verify=verify, transport=transport) as client:
        listing = _get(client, DOC_LIST_PATH, {"reportTypeId": str(RT_SPP_REPORT_TYPE_ID)}, retry, sleep).json()
        listed = {item["Document"]["ConstructedName"]: item["Document"]
                  for item in listing["ListDocsByRptTypeRes"]["DocumentList"]}
        # MIS lists every report as a `_csv.zip` and an `_xml.zip` twin; we read the CSV one.
        documents = [listed[name] for name in csv_documents(listed, DOC_LIST_PATH)]
        if len(documents) > documents_max:
            raise BadInput(DOC_LIST_PATH, None, "DocumentList", f"{len(documents)} documents > {documents_max}")
        names = [document["ConstructedName"] for document in documents]
        versions = document_versions(names)
        rows: list[PriceRow] = []
        for document in documents:
            name = document["ConstructedName"]
            blob = _get(client, DOWNLOAD_PATH, {"doclookupId": str(document["DocID"])}, retry, sleep).content
            rows += parse_np6_905_csv(read_zip_csv(blob, name), name,
                                      publish_time_utc=parse_document_name(name).publish_time_utc,
                                      version=versions[name])
    return rows


def _get(client: httpx.Client, path: str, params: dict[str, str], retry: RetryPolicy,
         sleep: Callable[[float], None]) -> httpx.Response:
    response = send_with_retry(client, client.build_request("GET", path, params=params), ISO, retry, sleep)
    if response.status_code != 200:
        raise IsoUnavailable(ISO, f"{path}: HTTP {response.status_code}")
    return response
