"""The JSON shape of Nomad's api structs (reference §1.2-1.5): field names, JSON kinds and Go type names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scalar:
    """A JSON scalar: kind is string, int, uint, bool, float or duration (integer nanoseconds)."""

    kind: str
    go: str


@dataclass(frozen=True)
class ListOf:
    """A JSON array of one item type."""

    item: FieldType
    go: str


@dataclass(frozen=True)
class MapOf:
    """A JSON object whose keys the user chooses (Env, Meta, Config...): keys are never case-checked."""

    value: FieldType
    go: str


@dataclass(frozen=True)
class Struct:
    """A Go struct: a JSON object with a fixed set of PascalCase keys."""

    name: str
    fields: Mapping[str, FieldType]

    @property
    def go(self) -> str:
        """The Go type name used in decode errors."""
        return f"api.{self.name}"


@dataclass(frozen=True)
class Opaque:
    """A value the simulator does not model; when pascal is set its top-level keys must be PascalCase."""

    go: str
    pascal: bool = True


FieldType = Scalar | ListOf | MapOf | Struct | Opaque

STRING = Scalar("string", "string")
INT = Scalar("int", "int")
INT64 = Scalar("int", "int64")
UINT64 = Scalar("uint", "uint64")
BOOL = Scalar("bool", "bool")
FLOAT = Scalar("float", "float64")
DURATION = Scalar("duration", "time.Duration")
STRINGS = ListOf(STRING, "[]string")
STRING_MAP = MapOf(STRING, "map[string]string")
ANY_MAP = Opaque("map[string]interface {}", pascal=False)


def structs(struct: Struct) -> ListOf:
    """A list of pointers to struct, as most api slices are."""
    return ListOf(struct, f"[]*api.{struct.name}")


def opaque(name: str) -> Opaque:
    """An api struct the simulator passes through unchecked except for key case."""
    return Opaque(f"api.{name}")


CONSTRAINT = Struct("Constraint", {"LTarget": STRING, "RTarget": STRING, "Operand": STRING})
AFFINITY = Struct("Affinity", {"LTarget": STRING, "RTarget": STRING, "Operand": STRING, "Weight": INT})
SPREAD_TARGET = Struct("SpreadTarget", {"Value": STRING, "Percent": INT})
SPREAD = Struct("Spread", {"Attribute": STRING, "Weight": INT, "SpreadTarget": structs(SPREAD_TARGET)})

PORT = Struct("Port", {"Label": STRING, "Value": INT, "To": INT, "HostNetwork": STRING, "IgnoreCollision": BOOL})
NETWORK = Struct(
    "NetworkResource",
    {
        "Mode": STRING,
        "Device": STRING,
        "CIDR": STRING,
        "IP": STRING,
        "DNS": opaque("DNSConfig"),
        "ReservedPorts": ListOf(PORT, "[]api.Port"),
        "DynamicPorts": ListOf(PORT, "[]api.Port"),
        "Hostname": STRING,
        "MBits": INT,
        "CNI": opaque("CNIConfig"),
    },
)

# api.WorkloadIdentity (api/tasks.go); the server's structs.WorkloadIdentity has the same fields.
WORKLOAD_IDENTITY = Struct(
    "WorkloadIdentity",
    {
        "Name": STRING,
        "Audience": STRINGS,
        "ChangeMode": STRING,
        "ChangeSignal": STRING,
        "Env": BOOL,
        "File": BOOL,
        "Filepath": STRING,
        "ServiceName": STRING,
        "TTL": DURATION,
        "ExtraClaims": STRINGS,
    },
)

CHECK_RESTART = Struct("CheckRestart", {"Limit": INT, "Grace": DURATION, "IgnoreWarnings": BOOL})
SERVICE_CHECK = Struct(
    "ServiceCheck",
    {
        "Name": STRING,
        "Type": STRING,
        "Command": STRING,
        "Args": STRINGS,
        "Path": STRING,
        "Protocol": STRING,
        "PortLabel": STRING,
        "Expose": BOOL,
        "AddressMode": STRING,
        "Advertise": STRING,
        "Interval": DURATION,
        "Timeout": DURATION,
        "InitialStatus": STRING,
        "Notes": STRING,
        "TLSServerName": STRING,
        "TLSSkipVerify": BOOL,
        "Header": MapOf(STRINGS, "map[string][]string"),
        "Method": STRING,
        "CheckRestart": CHECK_RESTART,
        "GRPCService": STRING,
        "GRPCUseTLS": BOOL,
        "TaskName": STRING,
        "SuccessBeforePassing": INT,
        "FailuresBeforeCritical": INT,
        "FailuresBeforeWarning": INT,
        "Body": STRING,
        "OnUpdate": STRING,
    },
)
SERVICE = Struct(
    "Service",
    {
        "Name": STRING,
        "Tags": STRINGS,
        "CanaryTags": STRINGS,
        "EnableTagOverride": BOOL,
        "PortLabel": STRING,
        "AddressMode": STRING,
        "Address": STRING,
        "Checks": ListOf(SERVICE_CHECK, "[]api.ServiceCheck"),
        "CheckRestart": CHECK_RESTART,
        "Connect": opaque("ConsulConnect"),
        "Meta": STRING_MAP,
        "CanaryMeta": STRING_MAP,
        "TaggedAddresses": STRING_MAP,
        "TaskName": STRING,
        "OnUpdate": STRING,
        "Identity": WORKLOAD_IDENTITY,
        "Weights": opaque("ServiceWeights"),
        "Provider": STRING,
        "Cluster": STRING,
        "Kind": STRING,
        # structs.Service.Namespace: not in api.Service, so Nomad's decoder drops it; the server sets it
        # (canonical.py) and GET job returns it, so a job read back and resubmitted carries it.
        "Namespace": STRING,
    },
)

RESTART_POLICY = Struct(
    "RestartPolicy",
    {"Interval": DURATION, "Attempts": INT, "Delay": DURATION, "Mode": STRING, "RenderTemplates": BOOL},
)
RESCHEDULE_POLICY = Struct(
    "ReschedulePolicy",
    {
        "Attempts": INT,
        "Interval": DURATION,
        "Delay": DURATION,
        "DelayFunction": STRING,
        "MaxDelay": DURATION,
        "Unlimited": BOOL,
    },
)
UPDATE_STRATEGY = Struct(
    "UpdateStrategy",
    {
        "Stagger": DURATION,
        "MaxParallel": INT,
        "HealthCheck": STRING,
        "MinHealthyTime": DURATION,
        "HealthyDeadline": DURATION,
        "ProgressDeadline": DURATION,
        "Canary": INT,
        "AutoRevert": BOOL,
        "AutoPromote": BOOL,
    },
)
MIGRATE = Struct(
    "MigrateStrategy",
    {"MaxParallel": INT, "HealthCheck": STRING, "MinHealthyTime": DURATION, "HealthyDeadline": DURATION},
)
EPHEMERAL_DISK = Struct("EphemeralDisk", {"Sticky": BOOL, "Migrate": BOOL, "SizeMB": INT})
SCALING_POLICY = Struct(
    "ScalingPolicy",
    {
        "ID": STRING,
        "Namespace": STRING,
        "Type": STRING,
        # Target and Policy are maps whose keys Nomad defines or the autoscaler reads; not struct fields.
        "Target": STRING_MAP,
        "Min": INT64,
        "Max": INT64,
        "Policy": ANY_MAP,
        "Enabled": BOOL,
        "CreateIndex": UINT64,
        "ModifyIndex": UINT64,
    },
)
RESOURCES = Struct(
    "Resources",
    {
        "CPU": INT,
        "Cores": INT,
        "MemoryMB": INT,
        "MemoryMaxMB": INT,
        "DiskMB": INT,
        "Networks": structs(NETWORK),
        "Devices": Opaque("[]*api.RequestedDevice"),
        "IOPS": INT,
        "SecretsMB": INT,
        "NUMA": opaque("NUMAResource"),
    },
)
TEMPLATE = Struct(
    "Template",
    {
        "SourcePath": STRING,
        "DestPath": STRING,
        "EmbeddedTmpl": STRING,
        "ChangeMode": STRING,
        "ChangeScript": opaque("ChangeScript"),
        "ChangeSignal": STRING,
        "Splay": DURATION,
        "Perms": STRING,
        "Uid": INT,
        "Gid": INT,
        "LeftDelim": STRING,
        "RightDelim": STRING,
        "Envvars": BOOL,
        "VaultGrace": DURATION,
        "Wait": opaque("WaitConfig"),
        "ErrMissingKey": BOOL,
        "Once": BOOL,
    },
)
LOG_CONFIG = Struct("LogConfig", {"MaxFiles": INT, "MaxFileSizeMB": INT, "Disabled": BOOL})
ARTIFACT = Struct(
    "TaskArtifact",
    {
        "GetterSource": STRING,
        "GetterOptions": STRING_MAP,
        "GetterHeaders": STRING_MAP,
        "GetterMode": STRING,
        "GetterInsecure": BOOL,
        "RelativeDest": STRING,
        "Chown": BOOL,
    },
)
LIFECYCLE = Struct("TaskLifecycle", {"Hook": STRING, "Sidecar": BOOL})

TASK = Struct(
    "Task",
    {
        "Name": STRING,
        "Driver": STRING,
        "User": STRING,
        "Lifecycle": LIFECYCLE,
        # Driver config keys are the driver's own (snake_case); drivers.py checks the known drivers.
        "Config": ANY_MAP,
        "Constraints": structs(CONSTRAINT),
        "Affinities": structs(AFFINITY),
        "Env": STRING_MAP,
        "Services": structs(SERVICE),
        "Resources": RESOURCES,
        "RestartPolicy": RESTART_POLICY,
        "Meta": STRING_MAP,
        "KillTimeout": DURATION,
        "LogConfig": LOG_CONFIG,
        "Artifacts": structs(ARTIFACT),
        "Vault": opaque("Vault"),
        "Consul": opaque("Consul"),
        "Templates": structs(TEMPLATE),
        "DispatchPayload": opaque("DispatchPayloadConfig"),
        "VolumeMounts": Opaque("[]*api.VolumeMount"),
        "CSIPluginConfig": opaque("TaskCSIPluginConfig"),
        "Leader": BOOL,
        "ShutdownDelay": DURATION,
        "KillSignal": STRING,
        "Kind": STRING,
        "ScalingPolicies": Opaque("[]*api.ScalingPolicy"),
        "Identity": WORKLOAD_IDENTITY,
        "Identities": structs(WORKLOAD_IDENTITY),
        "Actions": Opaque("[]*api.Action"),
        "Schedule": opaque("TaskSchedule"),
    },
)

TASK_GROUP = Struct(
    "TaskGroup",
    {
        "Name": STRING,
        "Count": INT,
        "Constraints": structs(CONSTRAINT),
        "Affinities": structs(AFFINITY),
        "Tasks": structs(TASK),
        "Spreads": structs(SPREAD),
        "Volumes": Opaque("map[string]*api.VolumeRequest", pascal=False),
        "RestartPolicy": RESTART_POLICY,
        "Disconnect": opaque("DisconnectStrategy"),
        "ReschedulePolicy": RESCHEDULE_POLICY,
        "EphemeralDisk": EPHEMERAL_DISK,
        "Update": UPDATE_STRATEGY,
        "Migrate": MIGRATE,
        "Networks": structs(NETWORK),
        "Meta": STRING_MAP,
        "Services": structs(SERVICE),
        "ShutdownDelay": DURATION,
        "StopAfterClientDisconnect": DURATION,
        "MaxClientDisconnect": DURATION,
        "Scaling": SCALING_POLICY,
        "Consul": opaque("Consul"),
        "PreventRescheduleOnLost": BOOL,
        "MaxRunDuration": DURATION,
    },
)

PERIODIC = Struct(
    "PeriodicConfig",
    {
        "Enabled": BOOL,
        "Spec": STRING,
        "Specs": STRINGS,
        "SpecType": STRING,
        "ProhibitOverlap": BOOL,
        "TimeZone": STRING,
    },
)
PARAMETERIZED = Struct("ParameterizedJobConfig", {"Payload": STRING, "MetaRequired": STRINGS, "MetaOptional": STRINGS})

# Fields the server sets; accepted on input (a job read back and resubmitted carries them) and overwritten.
SERVER_SET_FIELDS: Mapping[str, FieldType] = {
    "Stop": BOOL,
    "ParentID": STRING,
    "Dispatched": BOOL,
    "Payload": Opaque("[]uint8", pascal=False),
    "Status": STRING,
    "StatusDescription": STRING,
    "Stable": BOOL,
    "Version": UINT64,
    "SubmitTime": INT64,
    "CreateIndex": UINT64,
    "ModifyIndex": UINT64,
    "JobModifyIndex": UINT64,
    "NomadTokenID": STRING,
    "VersionTag": opaque("JobVersionTag"),
}

JOB = Struct(
    "Job",
    {
        "Region": STRING,
        "Namespace": STRING,
        "ID": STRING,
        "Name": STRING,
        "Type": STRING,
        "Priority": INT,
        "AllAtOnce": BOOL,
        "Datacenters": STRINGS,
        "NodePool": STRING,
        "Constraints": structs(CONSTRAINT),
        "Affinities": structs(AFFINITY),
        "TaskGroups": structs(TASK_GROUP),
        "Update": UPDATE_STRATEGY,
        "Multiregion": opaque("Multiregion"),
        "Spreads": structs(SPREAD),
        "Periodic": PERIODIC,
        "ParameterizedJob": PARAMETERIZED,
        "Reschedule": RESCHEDULE_POLICY,
        "Migrate": MIGRATE,
        "Meta": STRING_MAP,
        "ConsulToken": STRING,
        "VaultToken": STRING,
        "ConsulNamespace": STRING,
        "VaultNamespace": STRING,
        "UI": opaque("JobUIConfig"),
        **SERVER_SET_FIELDS,
    },
)

# The WriteRequest fields every write body may carry (api.WriteRequest).
_WRITE_REQUEST: Mapping[str, FieldType] = {
    "Namespace": STRING,
    "Region": STRING,
    "SecretID": STRING,
    "IdempotencyToken": STRING,
}

SUBMISSION = Struct(
    "JobSubmission",
    {"Source": STRING, "Format": STRING, "VariableFlags": STRING_MAP, "Variables": STRING},
)

REGISTER_REQUEST = Struct(
    "JobRegisterRequest",
    {
        "Job": JOB,
        "EnforceIndex": BOOL,
        "JobModifyIndex": UINT64,
        "PreserveCounts": BOOL,
        "PreserveResources": BOOL,
        "PolicyOverride": BOOL,
        "EvalPriority": INT,
        "Submission": SUBMISSION,
        **_WRITE_REQUEST,
    },
)
PLAN_REQUEST = Struct("JobPlanRequest", {"Job": JOB, "Diff": BOOL, "PolicyOverride": BOOL, **_WRITE_REQUEST})
VALIDATE_REQUEST = Struct("JobValidateRequest", {"Job": JOB, **_WRITE_REQUEST})
SCALING_REQUEST = Struct(
    "ScalingRequest",
    {
        "Count": INT64,
        # A map in Go, so its keys are case-sensitive; decode.py still allows only the three Nomad reads.
        "Target": STRING_MAP,
        "Message": STRING,
        "Error": BOOL,
        "Meta": ANY_MAP,
        "PolicyOverride": BOOL,
        "JobModifyIndex": UINT64,
        **_WRITE_REQUEST,
    },
)
SCALING_TARGET_KEYS = ("Group", "Job", "Namespace")
PARSE_REQUEST = Struct(
    "JobsParseRequest", {"JobHCL": STRING, "Canonicalize": BOOL, "Variables": STRING, **_WRITE_REQUEST}
)


def zero_value(field: FieldType) -> Any:
    """What Go marshals for an unset field: "" / 0 / false for values, null for slices, maps and pointers."""
    if isinstance(field, Scalar):
        return {"string": "", "bool": False, "float": 0.0}.get(field.kind, 0)
    return None
