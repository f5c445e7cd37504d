package snnjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// member is one key of a JSON object, in document order.
type member struct {
	key string
	val json.RawMessage
}

// kindOf names the JSON type of a raw value.
func kindOf(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// members splits a JSON object into its members in document order. The caller checks
// for duplicates (dups lists repeated keys).
func members(raw json.RawMessage) (ms []member, dups []string, err error) {
	if kindOf(raw) != "object" {
		return nil, nil, fmt.Errorf("%w: found %s, want an object", ErrType, kindOf(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrSyntax, err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("%w: object key %v", ErrSyntax, tok)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrSyntax, err)
		}
		if seen[key] {
			dups = append(dups, key)
		}
		seen[key] = true
		ms = append(ms, member{key, v})
	}
	return ms, dups, nil
}

// child joins a JSON path and an object key; keys that would be ambiguous in dotted
// form are written ["key"].
func child(path, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" ") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// index joins a JSON path and an array index.
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// syntaxIssue locates a JSON syntax error as line:column.
func syntaxWhere(data []byte, err error) string {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return "(document)"
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("(document line %d col %d)", line, col)
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return b.Bytes()
}

func asString(raw json.RawMessage) (string, error) {
	if kindOf(raw) != "string" {
		return "", fmt.Errorf("%w: found %s, want a string", ErrType, kindOf(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return s, nil
}

func asNumber(raw json.RawMessage) (float64, error) {
	if kindOf(raw) != "number" {
		return 0, fmt.Errorf("%w: found %s, want a number", ErrType, kindOf(raw))
	}
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is not a finite number", ErrValue, bytes.TrimSpace(raw))
	}
	return v, nil
}

func asInt(raw json.RawMessage) (int, error) {
	v, err := asNumber(raw)
	if err != nil {
		return 0, err
	}
	if v != float64(int64(v)) || v > 1<<31 || v < -(1<<31) {
		return 0, fmt.Errorf("%w: %s is not an integer", ErrType, bytes.TrimSpace(raw))
	}
	return int(v), nil
}

func asArray(raw json.RawMessage) ([]json.RawMessage, error) {
	if kindOf(raw) != "array" {
		return nil, fmt.Errorf("%w: found %s, want an array", ErrType, kindOf(raw))
	}
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return out, nil
}
