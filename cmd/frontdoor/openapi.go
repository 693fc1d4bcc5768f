package main

import (
	_ "embed"
	"net/http"
)

// openapi.json describes every /api/v1 route; a test keeps it in step with the router.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
