package subscription

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// A user's own attributes: what the user is (a name, a plan), where a
// subscription's attributes say what one of the user's browsers is. They
// fill personalised notifications under the subscription's (Recipient
// in pkg/notification). A user needs no subscription to have them: a
// backend may set them first. This package owns the user_attributes table
// because user ids are its notion: every subscription names its user.

// userAttributesRow is one user's attributes, keyed by app and user id.
type userAttributesRow struct {
	AppID      string    `gorm:"column:app_id;primaryKey"`
	UserID     string    `gorm:"column:user_id;primaryKey"`
	Attributes string    `gorm:"column:attributes"`
	UpdatedAt  time.Time `gorm:"column:updated_at"`
}

func (userAttributesRow) TableName() string { return "user_attributes" }

// UserAttributes is what a user has: Attributes is never nil (empty when
// none are stored); UpdatedAt is nil when none are.
type UserAttributes struct {
	UserID     string
	Attributes map[string]string
	UpdatedAt  *time.Time
}

// UserAttributes returns the user's attributes (none stored is no error:
// any user id may have them).
func (s *Store) UserAttributes(ctx context.Context, appID, userID string) (*UserAttributes, error) {
	if err := ValidateUserID(userID); err != nil {
		return nil, err
	}
	return loadUserAttributes(s.db.WithContext(ctx), appID, userID)
}

func loadUserAttributes(tx *gorm.DB, appID, userID string) (*UserAttributes, error) {
	out := &UserAttributes{UserID: userID, Attributes: map[string]string{}}
	var row userAttributesRow
	err := tx.Where("app_id = ? AND user_id = ?", appID, userID).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("load user attributes: %w", err)
	}
	if m := decodeAttributes(row.Attributes); m != nil {
		out.Attributes = m
	}
	at := row.UpdatedAt.UTC()
	out.UpdatedAt = &at
	return out, nil
}

// SetUserAttributes replaces the user's attributes with attrs (empty
// removes them) and returns what is stored.
func (s *Store) SetUserAttributes(ctx context.Context, appID, userID string, attrs map[string]string) (*UserAttributes, error) {
	if err := ValidateUserID(userID); err != nil {
		return nil, err
	}
	stored, err := ValidateAttributes(attrs)
	if err != nil {
		return nil, err
	}
	var out *UserAttributes
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := storeUserAttributes(tx, appID, userID, stored); err != nil {
			return err
		}
		out, err = loadUserAttributes(tx, appID, userID)
		return err
	})
	return out, err
}

// PatchUserAttributes merges p into the user's attributes (a user with
// none starts from none) and returns what is stored. The row is made
// first, then read locked, so concurrent patches of one user each see
// the others' keys.
func (s *Store) PatchUserAttributes(ctx context.Context, appID, userID string, p AttributesPatch) (*UserAttributes, error) {
	if err := ValidateUserID(userID); err != nil {
		return nil, err
	}
	var out *UserAttributes
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := userAttributesRow{AppID: appID, UserID: userID, Attributes: "{}", UpdatedAt: time.Now().UTC()}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return fmt.Errorf("user attributes: %w", err)
		}
		stored, err := s.patchedAttributes(tx, `SELECT attributes FROM user_attributes WHERE app_id = ? AND user_id = ?`, p, appID, userID)
		if err != nil {
			return err
		}
		if err := storeUserAttributes(tx, appID, userID, stored); err != nil {
			return err
		}
		out, err = loadUserAttributes(tx, appID, userID)
		return err
	})
	return out, err
}

// storeUserAttributes writes validated attributes; none deletes the row,
// so an emptied user holds nothing.
func storeUserAttributes(tx *gorm.DB, appID, userID, stored string) error {
	if stored == "{}" {
		return deleteUserAttributes(tx, appID, userID)
	}
	row := userAttributesRow{AppID: appID, UserID: userID, Attributes: stored, UpdatedAt: time.Now().UTC()}
	if err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "app_id"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"attributes", "updated_at"}),
	}).Create(&row).Error; err != nil {
		return fmt.Errorf("store user attributes: %w", err)
	}
	return nil
}

// DeleteUserAttributes removes the user's attributes (none is no error:
// the user holds nothing afterwards either way).
func (s *Store) DeleteUserAttributes(ctx context.Context, appID, userID string) error {
	if err := ValidateUserID(userID); err != nil {
		return err
	}
	return deleteUserAttributes(s.db.WithContext(ctx), appID, userID)
}

func deleteUserAttributes(tx *gorm.DB, appID, userID string) error {
	if err := tx.Where("app_id = ? AND user_id = ?", appID, userID).Delete(&userAttributesRow{}).Error; err != nil {
		return fmt.Errorf("delete user attributes: %w", err)
	}
	return nil
}

// AttributesOfUsers returns the attributes of those of userIDs that have
// some, in one query by the table's key: a delivery batch's recipients
// (500) cost one round trip, not one each.
func (s *Store) AttributesOfUsers(ctx context.Context, appID string, userIDs []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []userAttributesRow
	if err := s.db.WithContext(ctx).Select("user_id", "attributes").
		Where("app_id = ? AND user_id IN ?", appID, userIDs).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load users' attributes: %w", err)
	}
	for _, r := range rows {
		if m := decodeAttributes(r.Attributes); m != nil {
			out[r.UserID] = m
		}
	}
	return out, nil
}
