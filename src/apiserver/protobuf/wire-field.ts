// One field of a protobuf message as the generated wire tables list it:
// [JSON name, field number, scalar type or definition name, flags].
export type WireField = readonly [string, number, string, number];
