// The bench's Go handler for aws-lambda-go (bench/run.sh --go-src DIR), the
// twin of bench/handlers/bench.lua and bench/node/app.mjs: the same work on
// the same event, the way a Go user writes it (lambda.Start with
// events.KafkaEvent, which decodes the headers' signed byte arrays).
//
// Base64-decodes every key and value, builds each record's header table
// (name -> value, first occurrence wins), counts records per topic and sums
// key, value and header bytes. Returns the same JSON as the Lua handler.
package main

import (
	"encoding/base64"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type result struct {
	Records     int            `json:"records"`
	KeyBytes    int            `json:"key_bytes"`
	ValueBytes  int            `json:"value_bytes"`
	HeaderBytes int            `json:"header_bytes"`
	Topics      map[string]int `json:"topics"`
}

func decodedLen(s string) (int, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return len(b), err
}

func handle(event events.KafkaEvent) (result, error) {
	r := result{Topics: map[string]int{}}
	for _, batch := range event.Records {
		for _, record := range batch {
			r.Records++
			n, err := decodedLen(record.Key)
			if err != nil {
				return r, fmt.Errorf("key at offset %d: %w", record.Offset, err)
			}
			r.KeyBytes += n
			if n, err = decodedLen(record.Value); err != nil {
				return r, fmt.Errorf("value at offset %d: %w", record.Offset, err)
			}
			r.ValueBytes += n
			headers := map[string][]byte{}
			for _, h := range record.Headers {
				for name, value := range h {
					if _, seen := headers[name]; !seen {
						headers[name] = value
					}
				}
			}
			for _, value := range headers {
				r.HeaderBytes += len(value)
			}
			r.Topics[record.Topic]++
		}
	}
	return r, nil
}

func main() {
	lambda.Start(handle)
}
