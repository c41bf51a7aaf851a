package models

// jsonSchema is the JSON Schema the json adapter sends as the request's format.
// Ollama turns it into a grammar with llama.cpp's json-schema-to-grammar, which
// constrains decoding token by token. Choices that follow from how that converter
// works (llama/llama.cpp/common/json-schema-to-grammar.cpp):
//
//   - It is raw bytes, never a Go map: the grammar emits properties in the order the
//     schema text lists them (required ones first), and json.Marshal of a map would
//     sort them, putting "action" before "thought". The model must write its
//     thought first, so the action is conditioned on it.
//   - "action" is a union keyed by "type": each alternative lists "type" first and
//     makes the fields its action needs required, so once the model has written
//     "click" the grammar will not let it close the object without x and y. A flat
//     object with every field optional would let a small model stop after the type.
//   - Coordinates are integers with minimum 0 and maximum 1000, which the converter
//     turns into digit rules: a constrained model cannot write a pixel position.
//   - additionalProperties is false, so the grammar admits no keys besides these.
//   - Nothing relies on "description", which the converter ignores: the prompt
//     (prompts/json.txt) shows each action with its fields in this same order.
//
// The server may ignore format (some engines do, silently), so Parse accepts far
// more than this schema; the schema is what a conforming reply looks like.
const jsonSchema = `{
  "type": "object",
  "properties": {
    "thought": {"type": "string"},
    "action": {
      "anyOf": [
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "click"},
            "x": {"type": "integer", "minimum": 0, "maximum": 1000},
            "y": {"type": "integer", "minimum": 0, "maximum": 1000},
            "button": {"type": "string", "enum": ["left", "right", "middle"]},
            "clicks": {"type": "integer", "minimum": 1, "maximum": 3}
          },
          "required": ["type", "x", "y"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "move"},
            "x": {"type": "integer", "minimum": 0, "maximum": 1000},
            "y": {"type": "integer", "minimum": 0, "maximum": 1000}
          },
          "required": ["type", "x", "y"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "drag"},
            "x": {"type": "integer", "minimum": 0, "maximum": 1000},
            "y": {"type": "integer", "minimum": 0, "maximum": 1000},
            "x2": {"type": "integer", "minimum": 0, "maximum": 1000},
            "y2": {"type": "integer", "minimum": 0, "maximum": 1000},
            "button": {"type": "string", "enum": ["left", "right", "middle"]}
          },
          "required": ["type", "x", "y", "x2", "y2"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "scroll"},
            "x": {"type": "integer", "minimum": 0, "maximum": 1000},
            "y": {"type": "integer", "minimum": 0, "maximum": 1000},
            "direction": {"type": "string", "enum": ["up", "down", "left", "right"]},
            "amount": {"type": "integer", "minimum": 1, "maximum": 10}
          },
          "required": ["type", "x", "y", "direction"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "type"},
            "text": {"type": "string", "minLength": 1}
          },
          "required": ["type", "text"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "key"},
            "keys": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "maxItems": 5}
          },
          "required": ["type", "keys"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "wait"},
            "seconds": {"type": "integer", "minimum": 1, "maximum": 60}
          },
          "required": ["type", "seconds"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "done"},
            "text": {"type": "string"}
          },
          "required": ["type", "text"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "fail"},
            "text": {"type": "string"}
          },
          "required": ["type", "text"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": {
            "type": {"type": "string", "const": "ask_user"},
            "text": {"type": "string"}
          },
          "required": ["type", "text"],
          "additionalProperties": false
        }
      ]
    }
  },
  "required": ["thought", "action"],
  "additionalProperties": false
}`
