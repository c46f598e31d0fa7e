// Package tablestorage keeps everything the app stores in Azure Table
// Storage (or Azurite) and implements the priceline store interfaces: users,
// sessions and login attempts (UserStore, SessionStore, AttemptStore), B2C
// sign-in flows and token caches (AuthFlowStore, TokenCacheStore), and
// hospitals, charges, the procedures catalog and saved estimates
// (PriceStore, SavedStore).
//
// Every read is a point read by (PartitionKey, RowKey) or a single-partition
// query; keys derived from user input are hashed or encoded (see keys.go and
// prices_keys.go) so that no input can break, collide with or inject into a
// key or a filter. EnsureTables creates every table in allTables.
//
// Layout (table: PartitionKey / RowKey → properties):
//
//	users:       <userID> / "user"                       → Provider, Subject, Email, Name, PasswordHash, EmailVerified, CreatedAt, UpdatedAt
//	users:       "email-"+sha256(email) / "index"        → UserID, Email, PasswordHash, CreatedAt (local users)
//	users:       "subject-"+sha256(provider, subject) / "index" → UserID, Provider, Subject, CreatedAt (cloud users)
//	users:       <userID> / "token-"+purpose              → Hash (SHA-256 of the link's secret), Email, CreatedAt, ExpiresAt (accounts.go)
//	sessions:    <userID> / <session key>                → Method, CSRFToken, UserAgent, CreatedAt, LastSeenAt, IdleExpiresAt, ExpiresAt
//	attempts:    "attempt"+sha256(key)[:2] / sha256(key) → Failures, LastFailure
//	authflows:   "flow"+id[:2] / <flow id>               → State, Nonce, PKCEVerifier, ReturnTo, Policy, CreatedAt, ExpiresAt
//	tokencaches: <userID> / <session key>                → Cache (Edm.Binary), CreatedAt, ExpiresAt
//	hospital:    "h" / <hospital id>                     → Name, Locations, Addresses, License*, LastUpdatedOn, Version, Gen
//	charges:     "b."+bucket / <procedure key>.<hospital>.<gen>.<hash> → N, C0, C1, … (a page of charges; buckets.go)
//	hospcode:    <hospital id> / <gen>.<bucket>.<hash>   → Pages (the pages one batch wrote; buckets.go, generations.go)
//	catalog:     "c."+code[:1] / <code>.<type>           → Code, CodeType, Description
//	catalog:     "w."+word[:2] / <word>.~<list hash>       → Procs (packed word entries; catalogpack.go)
//	catalog:     "w."+word[:2] / <word>.<procedure key>.<description hash> → Code, CodeType, Description (written by earlier versions; still read)
//	saved:       <userID> / "s00" … "s49"                → ID, Code, CodeType, HospitalID, Payer, Plan, Label, CreatedAt
//	mfa, passkeys, challenges: second factors (see mfa.go, passkeys.go, challenges.go)
//
// Times are Edm.DateTime in UTC (100 ns resolution).
package tablestorage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// Production table names; Options.TablePrefix is prepended to each.
const (
	usersTable    = "users"
	sessionsTable = "sessions"
	attemptsTable = "attempts"
)

// devStorageConnectionString is what "UseDevelopmentStorage=true" means for
// the table service: Azurite's documented public development account on its
// default port. aztables does not understand the shorthand itself.
const devStorageConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
	"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
	"TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"

// defaultOrphanAfter is how old an email or subject index without its user
// record must be before a new registration may take it over.
const defaultOrphanAfter = time.Minute

// Options configure a Client.
type Options struct {
	// TablePrefix is prepended to every table name: letters and digits only,
	// starting with a letter. "" means the production names.
	TablePrefix string
	// ClientOptions are passed to aztables; when their Retry field is zero
	// the fail-fast retry settings of this package are applied.
	ClientOptions *aztables.ClientOptions
	// Logger receives notices about stored data that needs an operator's
	// attention (hospitals still in the charge layout before buckets); nil
	// means slog.Default(). It never receives user data.
	Logger *slog.Logger
}

// Client is a connection to one storage account's table service.
type Client struct {
	svc         *aztables.ServiceClient
	users       table
	sessions    table
	attempts    table
	tableNames  []string // users, sessions, attempts under the prefix
	prefix      string
	now         func() time.Time
	orphanAfter time.Duration
	logger      *slog.Logger // Options.Logger or slog.Default()
}

// failFastRetry keeps a storage outage from holding requests for the SDK's
// default minute of retries: three tries of at most 3 s each, short delays,
// so a dead dependency becomes a 503 within seconds.
var failFastRetry = policy.RetryOptions{
	MaxRetries:    2,
	TryTimeout:    3 * time.Second,
	RetryDelay:    100 * time.Millisecond,
	MaxRetryDelay: 500 * time.Millisecond,
}

func clientOptions(opt Options) *aztables.ClientOptions {
	var co aztables.ClientOptions
	if opt.ClientOptions != nil {
		co = *opt.ClientOptions
	}
	r := co.Retry
	if r.MaxRetries == 0 && r.TryTimeout == 0 && r.RetryDelay == 0 && r.MaxRetryDelay == 0 && r.StatusCodes == nil && r.ShouldRetry == nil {
		co.Retry = failFastRetry
	}
	return &co
}

// NewFromConnectionString connects with a storage connection string (shared
// key or SAS), including the "UseDevelopmentStorage=true" shorthand for a
// local Azurite on 127.0.0.1:10002.
func NewFromConnectionString(connStr string, opt Options) (*Client, error) {
	if isDevStorage(connStr) {
		connStr = devStorageConnectionString
	}
	svc, err := aztables.NewServiceClientFromConnectionString(connStr, clientOptions(opt))
	if err != nil {
		// The aztables message is generic and the connection string holds a
		// key, so neither is repeated here.
		return nil, errors.New("table storage: the connection string is malformed (expected AccountName, AccountKey or SharedAccessSignature, and optionally TableEndpoint)")
	}
	return newClient(svc, opt)
}

func isDevStorage(connStr string) bool {
	s := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(connStr), ";"))
	return strings.EqualFold(s, "UseDevelopmentStorage=true")
}

// NewWithCredential connects with an Entra ID credential (managed identity in
// Azure) to an endpoint such as https://ACCOUNT.table.core.windows.net.
func NewWithCredential(endpoint string, cred azcore.TokenCredential, opt Options) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("table storage: endpoint %q must be an https URL such as https://ACCOUNT.table.core.windows.net", endpoint)
	}
	if cred == nil {
		return nil, errors.New("table storage: a credential is required")
	}
	svc, err := aztables.NewServiceClient(endpoint, cred, clientOptions(opt))
	if err != nil {
		return nil, fmt.Errorf("table storage: connect to %s: %w", endpoint, err)
	}
	return newClient(svc, opt)
}

func newClient(svc *aztables.ServiceClient, opt Options) (*Client, error) {
	if err := validatePrefix(opt.TablePrefix); err != nil {
		return nil, err
	}
	c := &Client{
		svc:         svc,
		now:         time.Now,
		orphanAfter: defaultOrphanAfter,
		logger:      opt.Logger,
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	c.prefix = opt.TablePrefix
	c.tableNames = []string{c.table(usersTable), c.table(sessionsTable), c.table(attemptsTable)}
	c.users = c.openTable(usersTable, false)
	c.sessions = c.openTable(sessionsTable, false)
	c.attempts = c.openTable(attemptsTable, false)
	return c, nil
}

// maxTablePrefix leaves room under the 63-character table-name limit for
// every table name in this package, which must stay at most 12 characters.
const maxTablePrefix = 63 - 12

// validatePrefix enforces the table-name rules (alphanumeric, starting with a
// letter, at most 63 characters in all) up front, so that a bad setting fails
// at start-up with a clear message instead of as a 400 on the first request.
func validatePrefix(p string) error {
	if len(p) > maxTablePrefix {
		return fmt.Errorf("table storage: TablePrefix %q is too long (at most %d characters)", p, maxTablePrefix)
	}
	for i, r := range p {
		isLetter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if i == 0 && !isLetter {
			return fmt.Errorf("table storage: TablePrefix %q must start with a letter", p)
		}
		if !isLetter && (r < '0' || r > '9') {
			return fmt.Errorf("table storage: TablePrefix %q may contain only letters and digits", p)
		}
	}
	return nil
}

// allTables lists every table the app uses; EnsureTables creates them.
var allTables = []string{
	usersTable, sessionsTable, attemptsTable, authFlowsTable, tokenCachesTable,
	hospitalsTable, chargesTable, catalogTable, hospCodesTable, savedTable, outboxTable,
	mfaTable, passkeysTable, challengesTable,
}

// table returns a table's name under c's prefix.
func (c *Client) table(name string) string { return c.prefix + name }

// EnsureTables creates the tables that do not exist yet; it is safe to call
// on every start.
func (c *Client) EnsureTables(ctx context.Context) error {
	return c.ensure(ctx, allTables...)
}

// ensure creates the named tables (under c's prefix) that do not exist yet,
// all at once: at cold start each is a round trip.
func (c *Client) ensure(ctx context.Context, names ...string) error {
	return allOf(len(names), func(i int) error {
		full := c.table(names[i])
		if _, err := c.svc.CreateTable(ctx, full, nil); err != nil && !hasErrorCode(err, aztables.TableAlreadyExists) {
			return translate(err, "create table "+full)
		}
		return nil
	})
}

// pingPartition is a partition no entity ever has (user IDs are hex, index
// partitions have a prefix), so a Ping read always comes back 404.
const pingPartition = "ping"

// Ping checks that the account answers and the users table exists, with one
// point read of an entity that never exists.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.users.GetEntity(ctx, pingPartition, pingPartition, nil)
	if err == nil || (isStatus(err, 404) && !hasErrorCode(err, aztables.TableNotFound)) {
		return nil
	}
	if hasErrorCode(err, aztables.TableNotFound) {
		return unavailable(fmt.Errorf("ping: table %s is missing: %w", c.tableNames[0], err))
	}
	return translate(err, "ping")
}
