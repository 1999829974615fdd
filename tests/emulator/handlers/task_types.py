"""The scheduled task types an emulated release knows: each type's properties (what its template
lists and what a create or update is checked against), whether it can be created over REST, and
the releases that have it (TaskTemplateXO; the 3.84+ templates endpoint)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..state import NexusState

TEMPLATE_CONCURRENT_RUN = "3.94.0"
DATASTORE = "3.71.0"  # H2/PostgreSQL only: per-format "Cleanup unused … blobs" system tasks


@dataclass(frozen=True)
class Field:
    """One property of a task type, as its template lists it (id -> initial value)."""
    id: str
    kind: str  # "repository" | "blobstore" | "number" | "boolean" | "string"
    required: bool = True
    initial: str = ""
    formats: tuple[str, ...] = ()  # repository formats the task works on; () = any
    minimum: Optional[int] = None
    multiple: bool = False  # a comma-separated list of repositories


@dataclass(frozen=True)
class TaskType:
    id: str
    name: str
    fields: tuple[Field, ...] = ()
    exposed: bool = True  # offered as a template, i.e. creatable through the REST API
    since: str = "3.0.0"
    until: Optional[str] = None  # first version without it
    concurrent_run: bool = True


def _repo(formats: tuple[str, ...] = (), multiple: bool = False) -> Field:
    return Field("repositoryName", "repository", formats=formats, multiple=multiple)


MAVEN = ("maven2",)
TASK_TYPES: tuple[TaskType, ...] = (
    TaskType("repository.docker.gc", "Docker - Delete unused manifests and images",
             (_repo(("docker",)), Field("deployOffset", "number", False, "24", minimum=0))),
    TaskType("repository.docker.upload-purge", "Docker - Delete incomplete uploads",
             (Field("age", "number", True, "24", minimum=0),)),
    TaskType("blobstore.compact", "Admin - Compact blob store",
             (Field("blobstoreName", "blobstore"),
              Field("blobsOlderThan", "number", False, minimum=0))),
    TaskType("blobstore.delete-temp-files", "Admin - Delete blob store temporary files",
             (Field("blobstoreName", "blobstore"),
              Field("olderThanDays", "number", False, minimum=0))),
    TaskType("repository.purge-unused", "Repository - Delete unused components",
             (_repo(), Field("lastUsed", "number", minimum=1))),
    TaskType("repository.rebuild-index", "Repair - Rebuild repository search", (_repo(),)),
    TaskType("create.browse.nodes", "Repair - Rebuild repository browse",
             (_repo(multiple=True),)),
    TaskType("repository.trim-browse-tree", "Repair - Repository trim browse tree", (_repo(),),
             since="3.88.0"),
    TaskType("repository.maven.remove-snapshots", "Maven - Delete SNAPSHOT",
             (_repo(MAVEN), Field("minimumRetained", "number", True, "1", minimum=0),
              Field("snapshotRetentionDays", "number", True, "30", minimum=0),
              Field("removeIfReleased", "boolean", False, "false"),
              Field("gracePeriodInDays", "number", False, minimum=0))),
    TaskType("repository.maven.purge-unused-snapshots", "Maven - Delete unused SNAPSHOT",
             (_repo(MAVEN), Field("lastUsed", "number", minimum=1))),
    TaskType("repository.maven.rebuild-metadata",
             "Repair - Rebuild Maven repository metadata (maven-metadata.xml)",
             (_repo(MAVEN), Field("groupId", "string", False), Field("artifactId", "string", False),
              Field("baseVersion", "string", False),
              Field("rebuildChecksums", "boolean", False, "false"))),
    TaskType("repository.maven.publish-dotindex", "Maven - Publish Maven Indexer files",
             (_repo(MAVEN),)),
    TaskType("repository.maven.unpublish-dotindex", "Maven - Unpublish Maven Indexer files",
             (_repo(MAVEN),)),
    TaskType("repository.npm.reindex", "Repair - Reconcile npm /-/v1/search metadata",
             (_repo(("npm",)),)),
    TaskType("repository.yum.rebuild.metadata",
             "Repair - Rebuild Yum repository metadata (repodata)",
             (_repo(("yum",)), Field("yumMetadataCaching", "boolean", False, "false"))),
    TaskType("security.purge-api-keys", "Admin - Delete orphaned API keys"),
    TaskType("db.backup", "Admin - Export databases for backup",
             (Field("location", "string"),), until=DATASTORE),
    TaskType("h2.backup.task", "Admin - Backup H2 Database", (Field("location", "string"),),
             since=DATASTORE),
    # Visible in the task list but not exposed: Nexus creates them itself; no template, no POST.
    TaskType("repository.cleanup", "Admin - Cleanup repositories using their associated policies",
             exposed=False),
    TaskType("assetBlob.cleanup", "Admin - Cleanup unused asset blobs",
             (Field("contentStore", "string"), Field("format", "string")), exposed=False,
             since=DATASTORE),
)


def task_types(state: NexusState) -> dict[str, TaskType]:
    return {t.id: t for t in TASK_TYPES
            if state.at_least(t.since) and (t.until is None or not state.at_least(t.until))}


def template(state: NexusState, ttype: TaskType) -> dict[str, Any]:
    """TaskTemplateXO: the body a client fills in; properties map field id -> initial value."""
    doc: dict[str, Any] = {
        "type": ttype.id, "name": ttype.name, "enabled": True, "alertEmail": None,
        "notificationCondition": "FAILURE",
        "frequency": {"schedule": "manual", "startDate": None, "timeZoneOffset": None,
                      "recurringDays": None, "cronExpression": None},
        "properties": {f.id: f.initial for f in ttype.fields}}
    if state.at_least(TEMPLATE_CONCURRENT_RUN):
        doc["concurrentRun"] = ttype.concurrent_run
    return doc
