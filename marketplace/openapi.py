"""drf-spectacular post-processing: what every operation can answer, documented once instead of on each view, and
local times described as they are sent."""

# "09:00:00" is a wall-clock time in the object's own time zone: JSON Schema's `format: time` wants an offset.
LOCAL_TIME = {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "09:00"}
ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document_common_errors(result, generator, request, public):
    """An operation that authenticates its caller may answer 401 (a missing, wrong or revoked token); one with
    an id in its path 404 (no such object for this caller, or an id that is not a number); one that reads a
    body or query parameters 400 (malformed JSON, a value out of range, a NUL byte)."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            if "requestBody" in operation or any(parameter.get("in") == "query" for parameter in parameters):
                responses.setdefault("400", {**ERROR, "description": "Invalid input"})
            if any(requirement for requirement in operation.get("security", [])):
                responses.setdefault("401", {**ERROR, "description": "Not authenticated"})
            if any(parameter.get("in") == "path" for parameter in parameters):
                responses.setdefault("404", {**ERROR, "description": "Not found"})
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in (component.get("properties") or {}).items():
            if prop.get("format") == "time":
                prop.pop("format")
                component["properties"][name] = {**prop, **LOCAL_TIME}
    return result
